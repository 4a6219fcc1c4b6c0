import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BLANK_CELL, blankFramebuffer, ScreenState, type Framebuffer, type TerminalModes } from '@tsmosh/terminal';
import { onlyInputModesChanged } from './unseen-change.js';

const withRow0 = (fb: Framebuffer, text: string): Framebuffer => {
  const cells = [...fb.lines[0]!.cells];
  [...text].forEach((char, x) => (cells[x] = { ...BLANK_CELL, text: char }));
  return { ...fb, lines: [{ cells, wrapped: false }, ...fb.lines.slice(1)] };
};

const base = new ScreenState(withRow0(blankFramebuffer(80, 24), '$ echo hi'), 7);
const withModes = (state: ScreenState, modes: Partial<TerminalModes>): ScreenState =>
  state.withFramebuffer({ ...state.framebuffer, modes: { ...state.framebuffer.modes, ...modes } });

/** One change to a state, and whether the user could see it (or the client must act on it at once). */
type Change = { readonly apply: (s: ScreenState) => ScreenState; readonly seen: boolean };

const inputModeChange: fc.Arbitrary<Change> = fc
  .record(
    {
      applicationCursorKeys: fc.boolean(),
      applicationKeypad: fc.boolean(),
      bracketedPaste: fc.boolean(),
      focusReporting: fc.boolean(),
      mouseTracking: fc.constantFrom('none', 'x10', 'vt200', 'drag', 'any'),
      mouseEncoding: fc.constantFrom('default', 'utf8', 'sgr', 'urxvt', 'sgr-pixels'),
      kittyKeyboardFlags: fc.integer({ min: 0, max: 31 }),
      modifyOtherKeys: fc.constantFrom(0, 1, 2),
    },
    { requiredKeys: [] },
  )
  .map((modes) => ({ apply: (s: ScreenState) => withModes(s, modes as Partial<TerminalModes>), seen: false }));

const seenChange: fc.Arbitrary<Change> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 5 }).map((text) => ({ apply: (s: ScreenState) => s.withFramebuffer(withRow0(s.framebuffer, `$ ${text}!`)), seen: true })),
  fc.integer({ min: 0, max: 79 }).map((x) => ({ apply: (s: ScreenState) => s.withFramebuffer({ ...s.framebuffer, cursor: { ...s.framebuffer.cursor, x: x === s.framebuffer.cursor.x ? x + 1 : x } }), seen: true })),
  fc.constant({ apply: (s: ScreenState) => s.withFramebuffer({ ...s.framebuffer, cursor: { ...s.framebuffer.cursor, visible: !s.framebuffer.cursor.visible } }), seen: true }),
  fc.constant({ apply: (s: ScreenState) => withModes(s, { reverseVideo: !s.framebuffer.modes.reverseVideo }), seen: true }),
  fc.string({ minLength: 1, maxLength: 5 }).map((t) => ({ apply: (s: ScreenState) => s.withFramebuffer({ ...s.framebuffer, title: s.framebuffer.title + t }), seen: true })),
  fc.constant({ apply: (s: ScreenState) => s.withFramebuffer({ ...s.framebuffer, bellCount: s.framebuffer.bellCount + 1 }), seen: true }),
  fc.constant({ apply: (s: ScreenState) => s.withFramebuffer({ ...s.framebuffer, alternateScreen: !s.framebuffer.alternateScreen }), seen: true }),
  fc.constant({ apply: (s: ScreenState) => s.withEchoAck(s.echoAck + 1), seen: true }),
  fc.constant({ apply: (s: ScreenState) => s.withScrollback(s.scrollback.append([s.framebuffer.lines[0]!])), seen: true }),
  fc.constant({ apply: (s: ScreenState) => s.withEnding({ kind: 'command-exited', exitCode: 0, signal: undefined }), seen: true }),
);

describe('onlyInputModesChanged', () => {
  it("holds bash's bracketed-paste switch before its prompt, not the prompt", () => {
    const pasteOn = withModes(base, { bracketedPaste: true });
    expect(onlyInputModesChanged(base, pasteOn)).toBe(true);
    const prompt = pasteOn.withFramebuffer(withRow0(pasteOn.framebuffer, '$ echo hi!'));
    expect(onlyInputModesChanged(pasteOn, prompt)).toBe(false);
    expect(onlyInputModesChanged(base, prompt)).toBe(false);
  });

  it('says false for equal states (nothing to hold), also when the modes object is a copy', () => {
    expect(onlyInputModesChanged(base, base)).toBe(false);
    expect(onlyInputModesChanged(base, withModes(base, {}))).toBe(false);
  });

  it('is true exactly when the changes made moved an input mode and nothing else (judged from the states as text)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ arbitrary: inputModeChange, weight: 3 }, { arbitrary: seenChange, weight: 1 }), { maxLength: 4 }), (changes) => {
        const next = changes.reduce((s, c) => c.apply(s), base);
        const { reverseVideo: r0, ...inputModes0 } = base.framebuffer.modes;
        const { reverseVideo: r1, ...inputModes1 } = next.framebuffer.modes;
        const text = (s: ScreenState): string => JSON.stringify([{ ...s.framebuffer, modes: undefined }, s.echoAck, s.ending, s.scrollback.end]);
        const expected = JSON.stringify(inputModes0) !== JSON.stringify(inputModes1) && r0 === r1 && text(base) === text(next);
        if (changes.every((c) => !c.seen)) expect(text(next)).toBe(text(base));
        expect(onlyInputModesChanged(base, next)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});
