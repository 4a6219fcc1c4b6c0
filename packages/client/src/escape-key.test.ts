import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EscapeKeyFilter, escapeKeyName, parseEscapeKey, type EscapeAction } from './escape-key.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const sent = (actions: EscapeAction[]): number[] =>
  actions.flatMap((action) => (action.kind === 'send' ? Array.from(action.bytes) : []));

describe('parseEscapeKey', () => {
  it('defaults to Ctrl-^, an empty value disables it, one ASCII character sets it', () => {
    expect(parseEscapeKey(undefined)).toEqual({ enabled: true, byte: 0x1e });
    expect(parseEscapeKey('')).toEqual({ enabled: false });
    expect(parseEscapeKey('\x1d')).toEqual({ enabled: true, byte: 0x1d });
    expect(parseEscapeKey('~')).toEqual({ enabled: true, byte: 0x7e });
  });
  it('refuses several characters, non-ASCII and keys programs need, naming the variable', () => {
    expect(() => parseEscapeKey('ab')).toThrow(/TSMOSH_ESCAPE_KEY must be one ASCII character/);
    expect(() => parseEscapeKey('é')).toThrow(/one ASCII character/);
    expect(() => parseEscapeKey('\x03')).toThrow(/cannot be Ctrl-C/);
    expect(() => parseEscapeKey('\r')).toThrow(/cannot be Ctrl-M/);
  });
  it('names keys as a person types them', () => {
    expect(escapeKeyName(0x1e)).toBe('Ctrl-^');
    expect(escapeKeyName(0x1d)).toBe('Ctrl-]');
    expect(escapeKeyName(0x7e)).toBe('~');
  });
});

describe('EscapeKeyFilter with Ctrl-^', () => {
  const filter = (): EscapeKeyFilter => new EscapeKeyFilter({ enabled: true, byte: 0x1e });

  it('Ctrl-^ . quits, keeping what was typed before it', () => {
    expect(filter().feed(bytes(0x61, 0x1e, 0x2e, 0x62))).toEqual([
      { kind: 'send', bytes: bytes(0x61) },
      { kind: 'quit' },
      { kind: 'send', bytes: bytes(0x62) },
    ]);
  });
  it('Ctrl-^ Ctrl-Z suspends; Ctrl-^ ^ sends one literal Ctrl-^; Ctrl-^ x sends both', () => {
    expect(filter().feed(bytes(0x1e, 0x1a))).toEqual([{ kind: 'suspend' }]);
    expect(filter().feed(bytes(0x1e, 0x5e))).toEqual([{ kind: 'send', bytes: bytes(0x1e) }]);
    expect(filter().feed(bytes(0x1e, 0x78))).toEqual([{ kind: 'send', bytes: bytes(0x1e, 0x78) }]);
  });
  it('remembers a pending escape across reads (the key and the command arrive separately)', () => {
    const f = filter();
    expect(f.feed(bytes(0x1e))).toEqual([]);
    expect(f.awaitingCommand).toBe(true);
    expect(f.feed(bytes(0x2e))).toEqual([{ kind: 'quit' }]);
    expect(f.awaitingCommand).toBe(false);
  });
  it('passes every byte through unchanged when no escape key occurs (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }).filter((a) => !a.includes(0x1e)), (input) => {
        expect(sent(filter().feed(input))).toEqual(Array.from(input));
      }),
    );
  });
  it('Ctrl-^ ^ pairs become one literal Ctrl-^, however the input is split into reads (property)', () => {
    const plainByte = fc.integer({ min: 0, max: 255 }).filter((b) => b !== 0x1e);
    const token = fc.oneof(plainByte.map((b) => [b]), fc.constant([0x1e, 0x5e]));
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), fc.array(fc.nat(8), { maxLength: 10 }), (tokens, cuts) => {
        const input = tokens.flat();
        const expected = tokens.map((t) => t[0]!);
        const f = filter();
        const out: EscapeAction[] = [];
        let at = 0;
        for (const cut of cuts) {
          out.push(...f.feed(Uint8Array.from(input.slice(at, at + cut))));
          at += cut;
        }
        out.push(...f.feed(Uint8Array.from(input.slice(at))));
        expect(out.every((a) => a.kind === 'send')).toBe(true);
        expect(sent(out)).toEqual(expected);
      }),
    );
  });
});

describe('EscapeKeyFilter with a printable key', () => {
  it('only takes effect at the start of a line, so the character can still be typed mid-line', () => {
    const f = new EscapeKeyFilter({ enabled: true, byte: 0x7e });
    expect(f.feed(bytes(0x7e, 0x2e))).toEqual([{ kind: 'quit' }]);
    const g = new EscapeKeyFilter({ enabled: true, byte: 0x7e });
    expect(g.feed(bytes(0x61, 0x7e, 0x2e))).toEqual([{ kind: 'send', bytes: bytes(0x61, 0x7e, 0x2e) }]);
    expect(g.feed(bytes(0x0d, 0x7e, 0x2e))).toEqual([{ kind: 'send', bytes: bytes(0x0d) }, { kind: 'quit' }]);
  });
  it('disabled: everything passes', () => {
    const f = new EscapeKeyFilter({ enabled: false });
    expect(f.feed(bytes(0x1e, 0x2e))).toEqual([{ kind: 'send', bytes: bytes(0x1e, 0x2e) }]);
  });
});
