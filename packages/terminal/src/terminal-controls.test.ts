import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODES, type MouseEncoding, type MouseTracking, type TerminalModes } from './framebuffer.js';
import { ALL_PRIVATE_MODES, clipboardSequence, cursorShapeCode, modeChanges, progressSequence, sanitizeModes, sanitizeTitle } from './terminal-controls.js';

const TRACKING: readonly MouseTracking[] = ['none', 'x10', 'vt200', 'drag', 'any'];
const ENCODING: readonly MouseEncoding[] = ['default', 'utf8', 'sgr', 'urxvt', 'sgr-pixels'];

const modes: fc.Arbitrary<TerminalModes> = fc.record({
  applicationCursorKeys: fc.boolean(),
  applicationKeypad: fc.boolean(),
  bracketedPaste: fc.boolean(),
  mouseTracking: fc.constantFrom(...TRACKING),
  mouseEncoding: fc.constantFrom(...ENCODING),
  focusReporting: fc.boolean(),
  kittyKeyboardFlags: fc.integer({ min: 0, max: 31 }),
  modifyOtherKeys: fc.constantFrom(0, 1, 2),
  reverseVideo: fc.boolean(),
});

/** Mouse tracking modes are one setting in xterm: setting one replaces whichever was active. */
const TRACKING_MODES = new Set([9, 1000, 1002, 1003]);

/** The modes a terminal ends in after `sequence`, for the DEC private modes and the keypad (a tiny model of xterm). */
function applyModes(set: Set<number>, keypad: { on: boolean }, sequence: string): void {
  for (const match of sequence.matchAll(/\x1b\[\?([\d;]+)([hl])|\x1b([=>])/g)) {
    if (match[3] !== undefined) {
      keypad.on = match[3] === '=';
      continue;
    }
    for (const mode of match[1]!.split(';').map(Number)) {
      if (match[2] === 'h') {
        if (TRACKING_MODES.has(mode)) for (const other of TRACKING_MODES) set.delete(other);
        set.add(mode);
      } else {
        set.delete(mode);
      }
    }
  }
}

describe('terminal controls: modes, title, clipboard, progress, cursor shape', () => {
  it('mode changes take a terminal in any state to exactly the wanted modes, and only modes exit() resets', () => {
    fc.assert(
      fc.property(modes, modes, (from, to) => {
        const set = new Set<number>([1, 1000, 1006]);
        const keypad = { on: true };
        applyModes(set, keypad, modeChanges(undefined, from));
        applyModes(set, keypad, modeChanges(from, to));
        const expected = new Set<number>();
        if (to.applicationCursorKeys) expected.add(1);
        if (to.reverseVideo) expected.add(5);
        if (to.focusReporting) expected.add(1004);
        if (to.bracketedPaste) expected.add(2004);
        const tracking = { none: 0, x10: 9, vt200: 1000, drag: 1002, any: 1003 }[to.mouseTracking];
        if (tracking !== 0) expected.add(tracking);
        const encoding = { default: 0, utf8: 1005, sgr: 1006, urxvt: 1015, 'sgr-pixels': 1016 }[to.mouseEncoding];
        if (encoding !== 0) expected.add(encoding);
        expect([...set].sort()).toEqual([...expected].sort());
        expect(keypad.on).toBe(to.applicationKeypad);
        for (const mode of set) expect(ALL_PRIVATE_MODES).toContain(mode);
        expect(modeChanges(to, to)).toBe('');
      }),
    );
  });

  it('sanitizes modes from the network: unknown names become the defaults, flags are clamped', () => {
    const hostile = { ...DEFAULT_MODES, mouseTracking: 'everything', mouseEncoding: '__proto__', kittyKeyboardFlags: 0xff, modifyOtherKeys: 7, bracketedPaste: 'yes' } as unknown as TerminalModes;
    expect(sanitizeModes(hostile)).toEqual({ ...DEFAULT_MODES, kittyKeyboardFlags: 0x1f });
    expect(sanitizeModes(undefined)).toEqual(DEFAULT_MODES);
  });

  it('a title keeps printable text only, at most 1024 UTF-16 units, whatever the program sent', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 1500 }), fc.anything()), (title) => {
        const clean = sanitizeTitle(title);
        expect(clean.length).toBeLessThanOrEqual(1024);
        expect(clean).not.toMatch(/[\x00-\x1f\x7f-\x9f\ud800-\udfff]/u);
      }),
    );
    expect(sanitizeTitle('vim \x1b]0;pwned\x07 file')).toBe('vim ]0;pwned file');
  });

  it('a clipboard write is a copy with a base64 payload, never a query or an escape', () => {
    expect(clipboardSequence({ generation: 1, selection: 'c', data: 'aGVsbG8=' })).toBe('\x1b]52;c;aGVsbG8=\x07');
    expect(clipboardSequence({ generation: 1, selection: 'c', data: '?' })).toBe('');
    expect(clipboardSequence({ generation: 1, selection: 'c\x07', data: 'aGk=' })).toBe('');
    fc.assert(
      fc.property(fc.string(), fc.string(), (selection, data) => {
        const sequence = clipboardSequence({ generation: 1, selection, data });
        if (sequence !== '') expect(sequence).toMatch(/^\x1b\]52;[cpqs0-7]*;[A-Za-z0-9+/]*={0,2}\x07$/);
      }),
    );
  });

  it('progress is clamped to a state 0-4 and a value 0-100, and the default cursor asks for the user’s own', () => {
    expect(progressSequence({ state: 9, value: -3 } as never)).toBe('\x1b]9;4;4;0\x1b\\');
    expect(progressSequence({ state: 1, value: 42.7 } as never)).toBe('\x1b]9;4;1;42\x1b\\');
    expect(cursorShapeCode('block', true)).toBe(0);
    expect(cursorShapeCode('block', false)).toBe(2);
    expect(cursorShapeCode('underline', true)).toBe(3);
    expect(cursorShapeCode('bar', false)).toBe(6);
  });
});
