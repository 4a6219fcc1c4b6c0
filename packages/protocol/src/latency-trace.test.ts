import { describe, expect, it } from 'vitest';
import { LatencyTrace, parseTraceLine, TRACE_FLUSH_LINES, TRACE_FLUSH_QUIET_MS } from './latency-trace.js';

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

  it('with a timer, keeps lines until marks have been quiet for TRACE_FLUSH_QUIET_MS, then writes them in one append', () => {
    let now = 1000;
    const timers: Array<{ due: number; callback: () => void }> = [];
    const advance = (to: number): void => {
      now = to;
      for (let fired = true; fired; ) {
        fired = false;
        const due = timers.filter((t) => t.due <= now).sort((a, b) => a.due - b.due)[0];
        if (due !== undefined) {
          timers.splice(timers.indexOf(due), 1);
          due.callback();
          fired = true;
        }
      }
    };
    const writes: string[] = [];
    const trace = new LatencyTrace('client', () => now, (lines) => writes.push(lines), { set: (callback, delayMs) => timers.push({ due: now + delayMs, callback }) });
    trace.mark('key', 'enter');
    advance(1004);
    trace.mark('sent');
    advance(1000 + TRACE_FLUSH_QUIET_MS);
    // The first mark's timer fired, but a mark came 4 ms after it: nothing yet, one timer for the rest.
    expect(writes).toEqual([]);
    expect(timers).toHaveLength(1);
    advance(1004 + TRACE_FLUSH_QUIET_MS);
    expect(writes).toEqual(['1000.000 client key enter\n1004.000 client sent\n']);
    expect(timers).toHaveLength(0);
    // A flood writes every TRACE_FLUSH_LINES lines without waiting; flush() writes what is left.
    for (let i = 0; i < TRACE_FLUSH_LINES + 3; i++) trace.mark('received');
    expect(writes).toHaveLength(2);
    expect(writes[1]!.split('\n')).toHaveLength(TRACE_FLUSH_LINES + 1);
    trace.flush();
    expect(writes).toHaveLength(3);
    expect(writes[2]!.split('\n').filter(Boolean).map(parseTraceLine)).toEqual(new Array(3).fill({ at: 1004 + TRACE_FLUSH_QUIET_MS, side: 'client', step: 'received' }));
    trace.flush();
    expect(writes).toHaveLength(3);
  });
});
