import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TERMINAL_PROBE_QUERIES, TerminalProbe } from './terminal-probe.js';

/** What kitty 0.39 answers to the probe's queries, in order. */
const KITTY_ANSWERS = '\x1bP>|kitty(0.39.1)\x1b\\' + '\x1b[?0u' + '\x1b[?2026;2$y' + '\x1b[?62;c';
/** An xterm.js-like terminal: DECRQM and DA1, no XTVERSION, no kitty keyboard. */
const XTERMJS_ANSWERS = '\x1b[?2026;2$y' + '\x1b[?1;2c';

/** Feeds `input` cut at `cuts`, returns what passed through (and what settle gave back). */
function feed(probe: TerminalProbe, input: string, cuts: readonly number[] = []): string {
  const points = [...new Set(cuts)].filter((p) => p > 0 && p < input.length).sort((a, b) => a - b);
  let out = '';
  let from = 0;
  for (const point of [...points, input.length]) {
    out += probe.filter(input.slice(from, point));
    from = point;
  }
  return out;
}

describe('TerminalProbe', () => {
  it('asks XTVERSION, the kitty flags and DECRQM 2026, with DA1 last to end the probe', () => {
    expect(TERMINAL_PROBE_QUERIES).toBe('\x1b[>0q\x1b[?u\x1b[?2026$p\x1b[c');
  });

  it('learns what a kitty-like terminal said, at any split across reads, and passes typed keys through', () => {
    const input = 'ls' + KITTY_ANSWERS + '\r-l';
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 6 }), (cuts) => {
        const probe = new TerminalProbe();
        expect(feed(probe, input, cuts)).toBe('ls\r-l');
        expect(probe.capabilities).toEqual({ kittyKeyboard: true, synchronizedOutput: true, version: 'kitty(0.39.1)' });
      }),
    );
  });

  it('claims nothing the terminal did not answer (xterm.js-like: 2026 only)', () => {
    const probe = new TerminalProbe();
    expect(feed(probe, XTERMJS_ANSWERS + 'x')).toBe('x');
    expect(probe.capabilities).toEqual({ kittyKeyboard: false, synchronizedOutput: true, version: '' });
  });

  it('reads DECRPM 0 and 4 as no synchronized output, and an XTVERSION ended by BEL', () => {
    for (const [mode, supported] of [[1, true], [2, true], [3, true], [0, false], [4, false]] as const) {
      const probe = new TerminalProbe();
      expect(probe.filter(`\x1bP>|WezTerm 20240203\x07\x1b[?2026;${mode}$y\x1b[?65;1;9c`)).toBe('');
      expect(probe.capabilities).toEqual({ kittyKeyboard: false, synchronizedOutput: supported, version: 'WezTerm 20240203' });
    }
  });

  it('after the DA1 answer, input passes untouched, answers included', () => {
    const probe = new TerminalProbe();
    expect(probe.filter('\x1b[?62;c\x1b[?2026;2$y')).toBe('\x1b[?2026;2$y');
    expect(probe.filter('\x1b[?1u')).toBe('\x1b[?1u');
    expect(probe.capabilities).toEqual({ kittyKeyboard: false, synchronizedOutput: false, version: '' });
  });

  it('a silent terminal: settle gives back what was held and claims nothing', () => {
    const probe = new TerminalProbe();
    expect(probe.filter('x\x1b[?20')).toBe('x');
    expect(probe.capabilities).toBeUndefined();
    expect(probe.settle()).toBe('\x1b[?20');
    expect(probe.capabilities).toEqual({ kittyKeyboard: false, synchronizedOutput: false, version: '' });
    expect(probe.filter('\x1b[?2026;2$y')).toBe('\x1b[?2026;2$y');
  });

  it('keys that merely start like an answer pass on (arrows, Alt+letter, Esc)', () => {
    const probe = new TerminalProbe();
    expect(probe.filter('\x1b[A\x1bx\x1b[1;5C')).toBe('\x1b[A\x1bx\x1b[1;5C');
    expect(probe.filter('\x1b')).toBe(''); // a lone Esc at the end may begin an answer: held until the next read
    expect(probe.filter('[B')).toBe('\x1b[B');
  });

  it('an XTVERSION text with controls or beyond the bound is not taken as an answer', () => {
    const long = new TerminalProbe();
    const text = `\x1bP>|${'v'.repeat(200)}\x1b\\`;
    expect(long.filter(text)).toBe(text);
    expect(long.filter('\x1b[?0c')).toBe('');
    expect(long.capabilities?.version).toBe('');
    const control = new TerminalProbe();
    expect(control.filter('\x1bP>|a\x01b\x1b\\\x1b[?0c')).toBe('\x1bP>|a\x01b\x1b\\');
  });

  it('takes out exactly the whole answers, up to and including DA1, whatever the splits (a model check)', () => {
    const answer = /\x1bP>\|[\x20-\x7e]{0,128}(?:\x1b\\|\x07)|\x1b\[\?\d{1,3}u|\x1b\[\?2026;\d\$y|\x1b\[\?[\d;]{0,64}c/g;
    /** The model: scan for answers left to right, drop each, stop after the first DA1. */
    const model = (text: string): string => {
      let out = '';
      let from = 0;
      answer.lastIndex = 0;
      for (let match = answer.exec(text); match !== null; match = answer.exec(text)) {
        out += text.slice(from, match.index);
        from = match.index + match[0].length;
        if (match[0].endsWith('c')) break;
      }
      return out + text.slice(from);
    };
    const unit = fc.constantFrom('a', '\r', '\x1b', '[', '?', '2', '0', '6', ';', 'u', 'c', 'P', '>', '|', '\\', '$', 'y', '\x1b[?2026;2$y', '\x1b[?1u', '\x1b[?62;c', '\x1bP>|k(1)\x1b\\');
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 30 }).map((parts) => parts.join('')), fc.array(fc.nat(120), { maxLength: 6 }), (noise, cuts) => {
        const probe = new TerminalProbe();
        expect(feed(probe, noise, cuts) + probe.settle()).toBe(model(noise));
      }),
      { numRuns: 3000 },
    );
  });
});
