import { describe, expect, it } from 'vitest';
import { LatencyTrace, parseTraceLine } from './latency-trace.js';

describe('latency trace lines', () => {
  it('reads back what a trace writes, with and without a detail word', () => {
    const lines: string[] = [];
    const trace = new LatencyTrace('server', () => 1700000000123.4567, (line) => lines.push(line));
    trace.mark('sent');
    trace.mark('pty-output', 11);
    trace.mark('key', undefined);
    trace.markAt(1700000000100, 'shown', 3);
    expect(lines).toEqual(['1700000000123.457 server sent\n', '1700000000123.457 server pty-output 11\n', '1700000000123.457 server key\n', '1700000000100.000 server shown 3\n']);
    expect(lines.map(parseTraceLine)).toEqual([
      { at: 1700000000123.457, side: 'server', step: 'sent' },
      { at: 1700000000123.457, side: 'server', step: 'pty-output', detail: '11' },
      { at: 1700000000123.457, side: 'server', step: 'key' },
      { at: 1700000000100, side: 'server', step: 'shown', detail: '3' },
    ]);
    expect(parseTraceLine('1700000000123.457 bench shown 4')).toEqual({ at: 1700000000123.457, side: 'bench', step: 'shown', detail: '4' });
    expect(parseTraceLine('1700000000123.457 someone sent')).toBeUndefined();
    expect(parseTraceLine('not a trace line')).toBeUndefined();
  });
});
