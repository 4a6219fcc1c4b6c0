/**
 * A flood's last frame (flood-tail.ts) under a manual clock: it goes FLOOD_SETTLE_MS after the program's last output
 * instead of at the end of its pacing interval, while a running flood and a program writing in bursts are paced as
 * before. Each program runs twice, with the rule and without it (`floodTail: false`), and the frames the client
 * received are compared.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FLOOD_SETTLE_MS, TAIL_MIN_RUN_MS } from './flood-tail.js';
import { Session } from './session.js';
import { linkedSession } from './session-link.test-helpers.js';
import { ScreenPty } from './screen-pty.test-helpers.js';

/** The frame pacing interval the tests run at (ms): SRTT/2 at 100 ms RTT. The link itself has no delay. */
const INTERVAL_MS = 50;

class OutputPty extends ScreenPty {
  readonly pid = 4244;
  /** SessionPty.outputPending: output read and not yet parsed. */
  outputPending = false;
  constructor() {
    super(80, 24);
  }
  write(): void {}
  show(text: string): void {
    this.announce(this.withFirstRow(text));
  }
}

const sessions: Session[] = [];
afterEach(() => {
  for (const session of sessions.splice(0)) session.kill();
});

interface Frame {
  /** ms the client received it (the link has no delay). */
  readonly at: number;
  /** Row 0 as it shows: which output it carries. */
  readonly text: string;
}

/**
 * Runs a program that writes `out ${t}` at each time in `writes` (ms, integers from 1100) and returns the frames the
 * client received that changed its screen, up to `until`. `pending`: times (ms) at which the pty has output on its
 * way to the screen (outputPending), as [from, to).
 */
function framesOf(writes: readonly number[], until: number, floodTail: boolean, pending: ReadonlyArray<readonly [number, number]> = []): Frame[] {
  const clock = { now: 1000 };
  const pty = new OutputPty();
  const h = linkedSession(pty, clock, { transportTiming: { sendIntervalMinMs: INTERVAL_MS }, floodTail });
  sessions.push(h.session);
  h.at(1000);
  const due = new Set(writes);
  const frames: Frame[] = [];
  const row0 = (): string => h.client.remote.framebuffer.lines[0]!.cells.map((c) => c.text || ' ').join('').trimEnd();
  let shown = row0();
  for (let t = 1001; t <= until; t++) {
    h.at(t);
    pty.outputPending = pending.some(([from, to]) => t >= from && t < to);
    if (due.has(t)) pty.show(`out ${t}`);
    h.exchange();
    if (row0() !== shown) {
      shown = row0();
      frames.push({ at: t, text: shown });
    }
  }
  return frames;
}

const range = (from: number, to: number, step = 1): number[] => {
  const times: number[] = [];
  for (let t = from; t <= to; t += step) times.push(t);
  return times;
};

/** A program writing a burst every `everyMs` from 1100 to `until`: writes at `offsets` (ms) within each burst. */
const bursts = (everyMs: number, offsets: readonly number[], until: number): number[] =>
  range(1100, until, everyMs).flatMap((start) => offsets.map((offset) => start + offset)).filter((t) => t <= until);

describe("a flood's last frame (flood-tail.ts)", () => {
  it('goes FLOOD_SETTLE_MS after the last output instead of at the end of its pacing interval; the frames before are unchanged', () => {
    const writes = range(1100, 1313); // a flood read every millisecond, ending inside an interval
    const before = framesOf(writes, 1600, false);
    const after = framesOf(writes, 1600, true);
    const last = before[before.length - 1]!;
    expect(last.text).toBe('out 1313');
    expect(last.at).toBeGreaterThan(1313 + FLOOD_SETTLE_MS); // without the rule it waited for its interval
    expect(after.slice(0, -1)).toEqual(before.slice(0, -1));
    expect(after[after.length - 1]).toEqual({ at: 1313 + FLOOD_SETTLE_MS, text: 'out 1313' });
  });

  it('keeps a steady flood at one frame per pacing interval, the same frames at the same times as without the rule', () => {
    const writes = range(1100, 2100); // a second of output every millisecond, then quiet
    const before = framesOf(writes, 2100, false);
    const after = framesOf(writes, 2100, true);
    expect(after).toEqual(before);
    for (let i = 1; i < after.length; i++) expect(after[i]!.at - after[i - 1]!.at).toBeGreaterThanOrEqual(INTERVAL_MS);
    expect(after.length).toBeLessThanOrEqual(Math.ceil(1000 / INTERVAL_MS) + 1);
  });

  it('gives a program writing once every N ms (a spinner, a status line, a clock) the same frames as before while it writes, whatever N', () => {
    for (const every of [2, 4, 7, 9, 10, 11, 13, 20, 33, 49, 50, 51, 80, 120]) {
      const writes = bursts(every, [0], 3000);
      const last = writes[writes.length - 1]!;
      const before = framesOf(writes, 3100, false);
      const after = framesOf(writes, 3100, true);
      // While it writes: the same frames. Once it stops, written more often than every FLOOD_SETTLE_MS it was a
      // flood, and its end may go sooner.
      expect(after.filter((f) => f.at <= last), `every ${every} ms`).toEqual(before.filter((f) => f.at <= last));
      expect(after[after.length - 1]!.text).toBe(`out ${last}`);
      expect(after[after.length - 1]!.at).toBeLessThanOrEqual(before[before.length - 1]!.at);
      if (every >= FLOOD_SETTLE_MS) expect(after).toEqual(before);
    }
  });

  it('gives a program writing bursts of several writes every N ms, each burst shorter than TAIL_MIN_RUN_MS, the same frames as before while it writes', () => {
    for (const every of [4, 9, 12, 16, 25, 40, 60, 100]) {
      for (const offsets of [[0, 3], [0, 1, 2, 5], [0, 6], [0, 4, 8, 12, 16, TAIL_MIN_RUN_MS - 1]]) {
        const writes = bursts(every, offsets, 3000);
        const last = writes[writes.length - 1]!;
        const before = framesOf(writes, 3100, false);
        const after = framesOf(writes, 3100, true);
        expect(after.filter((f) => f.at <= last), `every ${every} ms, writes at ${offsets.join(',')}`).toEqual(before.filter((f) => f.at <= last));
      }
    }
  });

  it('sends at most two frames per interval + FLOOD_SETTLE_MS to a program alternating floods and pauses (the worst case), and each run\'s end sooner', () => {
    // Output every millisecond for 60 ms, then FLOOD_SETTLE_MS of quiet, over and over: a frame inside every run.
    const period = 60 + FLOOD_SETTLE_MS;
    const writes = range(1100, 4000).filter((t) => (t - 1100) % period < 60);
    const before = framesOf(writes, 4100, false);
    const after = framesOf(writes, 4100, true);
    expect(before.length).toBeLessThanOrEqual(Math.ceil(3000 / INTERVAL_MS) + 1);
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.length).toBeLessThanOrEqual(Math.ceil((2 * 3000) / (INTERVAL_MS + FLOOD_SETTLE_MS)) + 1);
  });

  it('waits while the pty still has output on its way to the screen (the mirror parsing, a flood read at intervals)', () => {
    // The flood's last read at 1313 takes until 1330 to parse: its frame continues the run, and is the tail.
    const writes = [...range(1100, 1313), 1330];
    const frames = framesOf(writes, 1600, true, [[1313, 1330]]);
    expect(frames.some((f) => f.at === 1313 + FLOOD_SETTLE_MS)).toBe(false);
    expect(frames[frames.length - 1]).toEqual({ at: 1330 + FLOOD_SETTLE_MS, text: 'out 1330' });
    // Taken for quiet, the parse's frame would have been a new run, paced.
    expect(framesOf(writes, 1600, true).pop()!.at).toBeGreaterThan(1330 + FLOOD_SETTLE_MS);
  });

  it('does not cut a flood where the daemon was busy with output pending (a collection): its tail still goes early', () => {
    // Output on its way from the frame at 1290 until 1315 (the daemon busy 25 ms); the flood ends at 1320.
    const writes = [...range(1100, 1290), ...range(1315, 1320)];
    const frames = framesOf(writes, 1600, true, [[1290, 1315]]);
    expect(frames[frames.length - 1]).toEqual({ at: 1320 + FLOOD_SETTLE_MS, text: 'out 1320' });
    // Had the gap been the program's, the 6 ms after it would be a burst of its own: paced.
    expect(framesOf(writes, 1600, true).pop()!.at).toBeGreaterThan(1320 + FLOOD_SETTLE_MS);
  });
});
