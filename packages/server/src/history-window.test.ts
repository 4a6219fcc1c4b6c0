import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOG_LINES_PER_FRAME_ON_BOTTLENECK, LOG_LINES_PER_STATE, LOG_LINES_PER_STATE_MAX, historyHeld, historyWindowEnd, type HistoryWindow } from './history-window.js';

const window = (fields: Partial<HistoryWindow>): HistoryWindow => ({
  acknowledgedEnd: 0,
  offeredEnd: 0,
  logStart: 0,
  logEnd: 0,
  screenChanged: false,
  pathIsBottleneck: false,
  linesSincePreviousState: 0,
  ...fields,
});

describe('historyWindowEnd', () => {
  it('offers LOG_LINES_PER_STATE lines beyond what the client acknowledged, and no more than the log holds', () => {
    expect(historyWindowEnd(window({ acknowledgedEnd: 100, offeredEnd: 356, logEnd: 5000 }))).toBe(100 + LOG_LINES_PER_STATE);
    expect(historyWindowEnd(window({ acknowledgedEnd: 100, offeredEnd: 120, logEnd: 130 }))).toBe(130);
    // Lines the log dropped before the client had them: the window starts at the log's start.
    expect(historyWindowEnd(window({ acknowledgedEnd: 100, logStart: 4000, logEnd: 20_000 }))).toBe(4000 + LOG_LINES_PER_STATE);
  });

  it('reaches further where the lines are short (a byte budget), never short of LOG_LINES_PER_STATE nor past the cap or the log', () => {
    // `seq`'s lines: the byte budget reaches 1,900 lines beyond what the client acknowledged.
    expect(historyWindowEnd(window({ acknowledgedEnd: 100, logEnd: 50_000, byteWindowEnd: 2000 }))).toBe(2000);
    // Full lines: the budget reaches fewer than LOG_LINES_PER_STATE, which a window always may carry.
    expect(historyWindowEnd(window({ acknowledgedEnd: 100, logEnd: 50_000, byteWindowEnd: 260 }))).toBe(100 + LOG_LINES_PER_STATE);
    expect(historyWindowEnd(window({ acknowledgedEnd: 100, logEnd: 50_000, byteWindowEnd: 100_000 }))).toBe(100 + LOG_LINES_PER_STATE_MAX);
    expect(historyWindowEnd(window({ acknowledgedEnd: 100, logEnd: 1500, byteWindowEnd: 2000 }))).toBe(1500);
    // On a path that is the bottleneck the small frames rule as before.
    expect(historyWindowEnd(window({ acknowledgedEnd: 100, offeredEnd: 100, logEnd: 50_000, byteWindowEnd: 2000, pathIsBottleneck: true }))).toBe(100 + LOG_LINES_PER_FRAME_ON_BOTTLENECK);
  });

  it('on a path that is the bottleneck, a state whose screen changed adds no history; a still screen lets it follow in small frames', () => {
    const flood = window({ acknowledgedEnd: 1000, offeredEnd: 1100, logEnd: 9000, pathIsBottleneck: true, screenChanged: true });
    expect(historyWindowEnd(flood)).toBe(1100);
    expect(historyWindowEnd({ ...flood, screenChanged: false })).toBe(1100 + LOG_LINES_PER_FRAME_ON_BOTTLENECK);
    // …and never past the window beyond what the client acknowledged.
    expect(historyWindowEnd({ ...flood, offeredEnd: 1250, screenChanged: false })).toBe(1000 + LOG_LINES_PER_STATE);
    // An unconstrained path: the flood's history goes with the screen, as before.
    expect(historyWindowEnd({ ...flood, pathIsBottleneck: false })).toBe(1000 + LOG_LINES_PER_STATE);
    // What was offered but has left the log since: from the log's start, nothing new.
    expect(historyWindowEnd({ ...flood, offeredEnd: 1100, logStart: 2000 })).toBe(2000);
  });

  it('holds the offered window while output outruns the history: the log dropped lines never offered, and gains more than a window a state', () => {
    const flood = window({ acknowledgedEnd: 1000, offeredEnd: 1256, logStart: 30_000, logEnd: 40_000, screenChanged: true, linesSincePreviousState: 10_000 });
    expect(historyHeld(flood)).toBe(true);
    // The output stopped (or slowed to what a window a state carries): the log's last lines follow from its start
    // (one gap), a window per acknowledged state. So does a client that fell behind in an outage or attached late.
    expect(historyHeld({ ...flood, linesSincePreviousState: 0 })).toBe(false);
    expect(historyHeld({ ...flood, linesSincePreviousState: LOG_LINES_PER_STATE })).toBe(false);
    expect(historyWindowEnd({ ...flood, linesSincePreviousState: 0 })).toBe(30_000 + LOG_LINES_PER_STATE);
    // Output the history keeps up with: everything offered is still in the log, however fast it runs.
    expect(historyHeld({ ...flood, logStart: 1256 })).toBe(false);
    expect(historyHeld({ ...flood, logStart: 0, logEnd: 1300 })).toBe(false);
    // On a path that is the bottleneck too: before, such a state carried an empty window from the log's start, a jump
    // the client wrote as a marker line every frame. A screen that stays the same (`yes`) is held as well.
    expect(historyHeld({ ...flood, pathIsBottleneck: true })).toBe(true);
    expect(historyHeld({ ...flood, screenChanged: false })).toBe(true);
  });

  it('holds exactly when the log starts past the offered end and gained more than a window since the previous state', () => {
    fc.assert(
      fc.property(fc.nat(50_000), fc.nat(50_000), fc.nat(50_000), fc.nat(20_000), fc.nat(2000), fc.boolean(), fc.boolean(), (acknowledgedEnd, offeredExtra, logStart, logLength, linesSincePreviousState, screenChanged, pathIsBottleneck) => {
        const w = window({ acknowledgedEnd, offeredEnd: acknowledgedEnd + offeredExtra, logStart, logEnd: logStart + logLength, screenChanged, pathIsBottleneck, linesSincePreviousState });
        expect(historyHeld(w)).toBe(logStart > w.offeredEnd && linesSincePreviousState > LOG_LINES_PER_STATE);
      }),
    );
  });

  it('always lies within the log and never beyond a window past the acknowledged end', () => {
    fc.assert(
      fc.property(
        fc.nat(50_000),
        fc.nat(50_000),
        fc.nat(50_000),
        fc.nat(20_000),
        fc.boolean(),
        fc.boolean(),
        (acknowledgedEnd, offeredExtra, logStart, logLength, screenChanged, pathIsBottleneck) => {
          const w = window({ acknowledgedEnd, offeredEnd: acknowledgedEnd + offeredExtra, logStart, logEnd: logStart + logLength, screenChanged, pathIsBottleneck });
          const end = historyWindowEnd(w);
          expect(end).toBeGreaterThanOrEqual(w.logStart);
          expect(end).toBeLessThanOrEqual(w.logEnd);
          expect(end).toBeLessThanOrEqual(Math.max(acknowledgedEnd, logStart) + LOG_LINES_PER_STATE);
        },
      ),
    );
  });
});
