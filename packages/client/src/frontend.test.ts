import { describe, expect, it } from 'vitest';
import { FRAME_BURST, FramePacer, MIN_FRAME_INTERVAL_MS } from './frontend.js';

describe('FramePacer', () => {
  it("draws a short answer as it arrives, paces a flood at MIN_FRAME_INTERVAL_MS, and a keystroke's own draw costs nothing", () => {
    const pacer = new FramePacer();
    expect(pacer.nextFrameAt()).toBeLessThanOrEqual(0);
    // After a quiet spell FRAME_BURST server frames a few ms apart (echo, output, prompt) are each drawn at once.
    for (let i = 0; i < FRAME_BURST; i++) {
      expect(pacer.nextFrameAt()).toBeLessThanOrEqual(1000 + i);
      pacer.drawn(1000 + i, true);
    }
    // A flood after that waits for the interval, frame after frame.
    const next = pacer.nextFrameAt();
    expect(next).toBeGreaterThan(1002);
    expect(next).toBeLessThanOrEqual(1000 + MIN_FRAME_INTERVAL_MS);
    let at = next;
    for (let i = 0; i < 50; i++) {
      pacer.drawn(at, true);
      const following = pacer.nextFrameAt();
      expect(following - at).toBeCloseTo(MIN_FRAME_INTERVAL_MS, 6);
      at = following;
    }
    // A keystroke's predicted echo is drawn at once and does not spend the server frames' allowance.
    const before = pacer.nextFrameAt();
    pacer.drawn(at + 1, false);
    expect(pacer.nextFrameAt()).toBe(before);
    // A quiet spell of FRAME_BURST intervals refills the whole burst, and no more.
    const quiet = at + 10 * MIN_FRAME_INTERVAL_MS;
    for (let i = 0; i < FRAME_BURST; i++) {
      expect(pacer.nextFrameAt()).toBeLessThanOrEqual(quiet);
      pacer.drawn(quiet, true);
    }
    expect(pacer.nextFrameAt()).toBe(quiet + MIN_FRAME_INTERVAL_MS);
  });
});
