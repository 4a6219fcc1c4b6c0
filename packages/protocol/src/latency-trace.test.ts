import { describe, expect, it } from 'vitest';
import { LatencyTrace, parseTraceLine } from './latency-trace.js';

describe('latency trace lines', () => {
  it('reads back what a trace writes, with and without a detail word', () => {
    const lines: string[] = [];
    const trace = new LatencyTrace('server', () => 1700000000123.4567, (line) => lines.push(line));
    trace.mark('sent');
    trace.mark('pty-output', 11);
    trace.mark('key', undefined);
    expect(lines).toEqual(['1700000000123.457 server sent\n', '1700000000123.457 server pty-output 11\n', '1700000000123.457 server key\n']);
    expect(lines.map(parseTraceLine)).toEqual([
      { at: 1700000000123.457, side: 'server', step: 'sent' },
      { at: 1700000000123.457, side: 'server', step: 'pty-output', detail: '11' },
      { at: 1700000000123.457, side: 'server', step: 'key' },
    ]);
    expect(parseTraceLine('not a trace line')).toBeUndefined();
  });
});
