import { describe, expect, it } from 'vitest';
import { FramePacer, MIN_FRAME_INTERVAL_MS } from './frontend.js';

describe('FramePacer', () => {
  it("paces server-screen frames, but a keystroke's immediate draw does not hold back the echo that follows", () => {
    const pacer = new FramePacer();
    expect(pacer.nextFrameAt()).toBeLessThanOrEqual(0);
    pacer.drawn(1000, true);
    expect(pacer.nextFrameAt()).toBe(1000 + MIN_FRAME_INTERVAL_MS);
    // A key at 1100 draws its predicted echo at once; the server's echo at 1103 may be drawn at once too.
    pacer.drawn(1100, false);
    expect(pacer.nextFrameAt()).toBeLessThanOrEqual(1103);
    pacer.drawn(1103, true);
    // The next server frame (a flood) waits the interval.
    expect(pacer.nextFrameAt()).toBe(1103 + MIN_FRAME_INTERVAL_MS);
  });
});
