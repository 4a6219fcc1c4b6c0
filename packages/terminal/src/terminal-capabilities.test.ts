import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTerminalAnswers, parseTerminalAnswers, TERMINAL_VERSION_MAX } from './terminal-capabilities.js';

describe('the command-line form of what a terminal answered', () => {
  it('reads back what it wrote, for every capability set and printable version', () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: TERMINAL_VERSION_MAX });
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), printable, (kittyKeyboard, synchronizedOutput, version) => {
        const capabilities = { kittyKeyboard, synchronizedOutput, version };
        expect(parseTerminalAnswers(formatTerminalAnswers(capabilities))).toEqual(capabilities);
      }),
    );
    expect(formatTerminalAnswers({ kittyKeyboard: true, synchronizedOutput: true, version: 'kitty(0.39.1)' })).toBe('3:kitty(0.39.1)');
    expect(parseTerminalAnswers('0:')).toEqual({ kittyKeyboard: false, synchronizedOutput: false, version: '' });
    expect(parseTerminalAnswers('2:a:b')).toEqual({ kittyKeyboard: false, synchronizedOutput: true, version: 'a:b' });
  });

  it('refuses what no client writes, saying what is wrong', () => {
    expect(() => parseTerminalAnswers('kitty')).toThrow(/expected FLAGS:VERSION/);
    expect(() => parseTerminalAnswers('4:x')).toThrow(/unknown bits/);
    expect(() => parseTerminalAnswers('1:a\x1bb')).toThrow(/printable ASCII/);
    expect(() => parseTerminalAnswers(`1:${'v'.repeat(TERMINAL_VERSION_MAX + 1)}`)).toThrow(RangeError);
  });
});
