import { describe, expect, it } from 'vitest';
import { FLOOD_SETTLE_MS, FloodTail, TAIL_MIN_RUN_MS } from './flood-tail.js';
import { FLOOD_READ_INTERVAL_MS, RUN_GAP_MS } from './read-coalesce.js';

/** Output every millisecond over [from, to]. */
function outputs(tail: FloodTail, from: number, to: number): void {
  for (let t = from; t <= to; t++) tail.output(t);
}

describe('FloodTail', () => {
  it('has no tail before any output, nor once a frame carried all of it', () => {
    const tail = new FloodTail();
    expect(tail.dueAt).toBe(Infinity);
    outputs(tail, 1000, 1050);
    tail.framed();
    expect(tail.dueAt).toBe(Infinity);
  });

  it('a run under way when the last frame was taken: its rest is due FLOOD_SETTLE_MS after its last output', () => {
    const tail = new FloodTail();
    outputs(tail, 1000, 1030);
    tail.framed(); // a paced frame inside the flood
    outputs(tail, 1031, 1042);
    expect(tail.dueAt).toBe(1042 + FLOOD_SETTLE_MS);
    tail.output(1042 + FLOOD_SETTLE_MS - 1); // still the same run: the tail moves on
    expect(tail.dueAt).toBe(1042 + 2 * FLOOD_SETTLE_MS - 1);
  });

  it('output that began after the last frame is no tail: a burst, or the start of a flood, is the pacing\'s to coalesce', () => {
    const tail = new FloodTail();
    outputs(tail, 1000, 1030);
    tail.framed();
    const start = 1030 + FLOOD_SETTLE_MS; // quiet for FLOOD_SETTLE_MS since the framed output: a new run
    outputs(tail, start, start + 40);
    expect(tail.dueAt).toBe(Infinity);
    // Once a frame has carried part of this run, its rest is a tail.
    tail.framed();
    tail.output(start + 41);
    expect(tail.dueAt).toBe(start + 41 + FLOOD_SETTLE_MS);
  });

  it('a run shorter than TAIL_MIN_RUN_MS is a burst, with no tail, though a frame was taken inside it', () => {
    const tail = new FloodTail();
    tail.output(1000);
    tail.framed();
    for (let t = 1005; t < 1000 + TAIL_MIN_RUN_MS; t += 5) tail.output(t);
    tail.output(1000 + TAIL_MIN_RUN_MS - 1);
    expect(tail.dueAt).toBe(Infinity);
    tail.output(1000 + TAIL_MIN_RUN_MS);
    expect(tail.dueAt).toBe(1000 + TAIL_MIN_RUN_MS + FLOOD_SETTLE_MS);
  });

  it('output seen on its way (`writing`) continues the run and puts the tail off', () => {
    const tail = new FloodTail();
    outputs(tail, 1000, 1030);
    tail.framed();
    tail.output(1031);
    tail.writing(1041); // the tail was due; the pty was still parsing
    expect(tail.dueAt).toBe(1041 + FLOOD_SETTLE_MS);
    tail.output(1050); // 19 ms after the last output, 9 after it was seen writing: the same run
    expect(tail.dueAt).toBe(1050 + FLOOD_SETTLE_MS);
  });

  it('a frame after which more output was on its way is continued by the next however late (the daemon busy, not the program quiet)', () => {
    const tail = new FloodTail();
    outputs(tail, 1000, 1030);
    tail.output(1031, true); // the kernel held more: then a 25 ms collection
    tail.framed();
    tail.output(1056);
    expect(tail.dueAt).toBe(1056 + FLOOD_SETTLE_MS); // the same run, which a frame showed part of
    // Without the pending output the late frame starts a run of its own, with no tail.
    const quiet = new FloodTail();
    outputs(quiet, 1000, 1031);
    quiet.framed();
    quiet.output(1056);
    expect(quiet.dueAt).toBe(Infinity);
  });

  it('after a tail was framed the next output starts a new run: never two early frames without another between', () => {
    const tail = new FloodTail();
    outputs(tail, 1000, 1030);
    tail.framed();
    tail.output(1035);
    const due = tail.dueAt;
    expect(due).toBe(1035 + FLOOD_SETTLE_MS);
    tail.framed(); // the tail's frame, at `due`
    outputs(tail, due, due + 40);
    expect(tail.dueAt).toBe(Infinity);
  });

  it('waits longer than a flood read at intervals waits between its wakes (with a late timer), as a run of reads does', () => {
    expect(FLOOD_SETTLE_MS).toBe(RUN_GAP_MS);
    expect(FLOOD_SETTLE_MS).toBeGreaterThanOrEqual(FLOOD_READ_INTERVAL_MS + 3);
  });
});
