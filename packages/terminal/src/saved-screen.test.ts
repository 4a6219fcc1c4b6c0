import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { arbFramebuffer, arbRow } from './arbitrary-framebuffer.test-helpers.js';
import { decodeSavedScreen, encodeSavedScreen } from './saved-screen.js';
import { SCREEN_DIFF_VERSION } from './screen-diff.js';
import { ScreenState } from './screen-state.js';
import { ScrollbackLog, trimmedLogLine } from './scrollback-log.js';

/** A screen with a history whose window may have lost its head (start > 0), as a long session's has. */
const arbSavedState = fc
  .tuple(arbFramebuffer({ minCols: 1, maxCols: 30, minRows: 1, maxRows: 8 }), fc.array(arbRow(12), { maxLength: 40 }), fc.integer({ min: 1, max: 50 }))
  .map(([fb, lines, retain]) => new ScreenState(fb, 0, undefined, ScrollbackLog.empty.append(lines.map(trimmedLogLine), retain)));

describe('saved screen', () => {
  it('reads back exactly the screen and history it wrote', () => {
    fc.assert(
      fc.property(arbSavedState, (state) => {
        const back = decodeSavedScreen(encodeSavedScreen(state));
        expect(back.equals(state)).toBe(true);
        expect(back.scrollback.start).toBe(state.scrollback.start);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a screen saved by the previous release (screen diff version 3), whose screen top was unsigned', () => {
    // test/fixtures/saved-screens/v3-pulled-back.screen: written by 1c13594's encodeSavedScreen; a 20x4 blank screen
    // below lines "line 3" … "line 12" (lines 0–1 dropped by a 10-line window), the last three pulled back onto the
    // screen by a taller window (screenTop 9), after resizes that shifted it +2 in all.
    const bytes = readFileSync(new URL('../../../test/fixtures/saved-screens/v3-pulled-back.screen', import.meta.url));
    expect(bytes[5]).toBe(3);
    const back = decodeSavedScreen(bytes);
    const log = back.scrollback;
    expect([log.start, log.end, log.screenTop, log.resizeShift]).toEqual([2, 12, 9, 2]);
    expect(log.linesFrom(0).map((row) => row.cells.map((cell) => cell.text).join(''))).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 3}`));
    expect([back.framebuffer.cols, back.framebuffer.rows]).toEqual([20, 4]);
    // Saved again, it is written in this version and reads back the same.
    const again = encodeSavedScreen(back);
    expect(again[5]).toBe(SCREEN_DIFF_VERSION);
    expect(decodeSavedScreen(again).equals(back)).toBe(true);
  });

  it('keeps neither the echo acknowledgement nor an ending: those belong to a client link', () => {
    const state = new ScreenState(ScreenState.initial(4, 2).framebuffer, 9, { kind: 'ended', reason: 'x' });
    const back = decodeSavedScreen(encodeSavedScreen(state));
    expect(back.echoAck).toBe(0);
    expect(back.ending).toBeUndefined();
  });

  it('refuses anything truncated, foreign or of another version with a RangeError', () => {
    fc.assert(
      fc.property(arbSavedState, fc.nat(), (state, cut) => {
        const bytes = encodeSavedScreen(state);
        const truncated = bytes.subarray(0, cut % bytes.length);
        // A cut inside the diff may still decode to a valid (shorter) screen; a cut inside the header never does.
        if (truncated.length < 7) expect(() => decodeSavedScreen(truncated)).toThrow(RangeError);
      }),
    );
    const good = encodeSavedScreen(ScreenState.initial(3, 2));
    const foreign = good.slice();
    foreign[0] = 0x7b; // '{': a JSON file where a screen was expected
    expect(() => decodeSavedScreen(foreign)).toThrow(/not a tsmosh saved screen/);
    const newer = good.slice();
    newer[4] = 2;
    expect(() => decodeSavedScreen(newer)).toThrow(/format 2/);
    const otherDiff = good.slice();
    otherDiff[5] = 99;
    expect(() => decodeSavedScreen(otherDiff)).toThrow(/screen diff version 99/);
  });

  it('never throws anything but a RangeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const withMagic = new Uint8Array([0x54, 0x53, 0x4d, 0x53, 1, 1, ...bytes]);
        for (const input of [bytes, withMagic]) {
          try {
            decodeSavedScreen(input);
          } catch (error) {
            expect(error).toBeInstanceOf(RangeError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
