import { describe, expect, it } from 'vitest';
import { MAX_SCREEN_COLS, MAX_SCREEN_ROWS, ScreenState } from '@tsmosh/terminal';
import { FRAME_BURST, FramePacer, MIN_FRAME_INTERVAL_MS } from './frontend.js';
import { remoteSize } from './window-size.js';
import { fitToWindow } from './overlay.js';
import { connect } from './session.js';
import { SessionKey } from '@tsmosh/protocol';

describe('FramePacer', () => {
  it("draws a short answer as it arrives, paces a flood at MIN_FRAME_INTERVAL_MS, and a keystroke's own draw costs nothing", () => {
    const pacer = new FramePacer();
    expect(pacer.nextFrameAt()).toBeLessThanOrEqual(0);
    // After a quiet spell FRAME_BURST server frames a few ms apart (echo, a pipeline's output, prompt) are each drawn at once.
    for (let i = 0; i < FRAME_BURST; i++) {
      expect(pacer.nextFrameAt()).toBeLessThanOrEqual(1000 + i);
      pacer.drawn(1000 + i, true);
    }
    // A flood after that waits for the interval, frame after frame.
    const next = pacer.nextFrameAt();
    expect(next).toBeGreaterThan(1000 + FRAME_BURST - 1);
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

describe('a window larger than the wire carries', () => {
  it('gets a remote screen clamped to MAX_SCREEN_COLS x MAX_SCREEN_ROWS, shown in its top-left corner', () => {
    expect(remoteSize({ cols: 80, rows: 24 })).toEqual({ cols: 80, rows: 24 });
    expect(remoteSize({ cols: MAX_SCREEN_COLS + 200, rows: MAX_SCREEN_ROWS + 1 })).toEqual({ cols: MAX_SCREEN_COLS, rows: MAX_SCREEN_ROWS });
    // The renderer's frame still covers the whole window: the clamped screen, padded with blank cells.
    const wide = remoteSize({ cols: MAX_SCREEN_COLS + 200, rows: 30 });
    const frame = fitToWindow(ScreenState.initial(wide.cols, wide.rows).framebuffer, MAX_SCREEN_COLS + 200, 30);
    expect(frame.cols).toBe(MAX_SCREEN_COLS + 200);
    expect(frame.lines[0]?.cells.length).toBe(MAX_SCREEN_COLS + 200);
  });

  it('is refused by ClientSession with one line naming the limit, before anything is sent', () => {
    expect(() =>
      connect({ host: '127.0.0.1', port: 9, key: SessionKey.generate((n) => new Uint8Array(n).fill(7)).toString(), cols: MAX_SCREEN_COLS + 1, rows: 24 }),
    ).toThrow(`tsmosh: window size must be integers from 1x1 to ${MAX_SCREEN_COLS}x${MAX_SCREEN_ROWS} (the wire's limit), got ${MAX_SCREEN_COLS + 1}x24`);
  });
});
