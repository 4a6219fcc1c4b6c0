import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endsWithEscape, isMouseReports, isPlainText, keyBoundaryMatters, MAX_KEY_EVENT_BYTES } from './key-boundary.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const matters = (before: string, after: string): boolean => keyBoundaryMatters(bytes(before), bytes(after));

describe('key boundaries', () => {
  it('merges plain text, and keeps the edges next to a control key, Esc or a key sequence', () => {
    expect(matters('a', 'b')).toBe(false);
    expect(matters('é', '日本')).toBe(false);
    expect(matters('ls', '\r')).toBe(true);
    expect(matters('\r', 'l')).toBe(true);
    expect(matters('x', '\x02')).toBe(true);
    expect(matters('\x02', 'o')).toBe(true);
    expect(matters('a', '\x7f')).toBe(true);
    expect(matters('a', '\x1b[A')).toBe(true);
    expect(matters('\x1bj', 'k')).toBe(true);
    expect(matters('\x1b[97;5u', 'a')).toBe(true); // kitty's Ctrl+a
  });

  it('keeps whatever follows a trailing Esc apart, even a paste', () => {
    const paste = `\x1b[200~${'line\r'.repeat(20)}\x1b[201~`;
    expect(matters('\x1b', 'j')).toBe(true);
    expect(matters('\x1b', paste)).toBe(true);
    expect(matters(`${'x'.repeat(40)}\x1b`, 'j')).toBe(true);
  });

  it("merges a paste's chunks and mouse reports with each other and with text", () => {
    const chunk = 'one\rtwo\rthree\r'.repeat(4);
    expect(chunk.length).toBeGreaterThan(MAX_KEY_EVENT_BYTES);
    expect(matters(chunk, chunk)).toBe(false);
    expect(matters('a', chunk)).toBe(false);
    expect(matters('\x1b[<64;10;5M', '\x1b[<64;10;5M\x1b[<65;10;5M')).toBe(false); // the wheel
    expect(matters('\x1b[M`!!', '\x1b[Ma!!')).toBe(false); // X10 encoding
    expect(matters('\x1b[<0;3;4m', 'q')).toBe(false);
    // A mouse report next to a control key: the control key's edge still counts.
    expect(matters('\x1b[<0;3;4M', '\x02')).toBe(true);
  });

  it('recognizes only whole mouse reports', () => {
    expect(isMouseReports(bytes('\x1b[<0;1;1M'))).toBe(true);
    expect(isMouseReports(bytes('\x1b[<0;1;1M\x1b[<0;1;1m'))).toBe(true);
    expect(isMouseReports(bytes('\x1b[<0;1;1'))).toBe(false);
    expect(isMouseReports(bytes('\x1b[<M'))).toBe(false);
    expect(isMouseReports(bytes('\x1b[M!!'))).toBe(false);
    expect(isMouseReports(bytes('\x1b[<0;1;1Mx'))).toBe(false);
    expect(isMouseReports(bytes('\x1b[A'))).toBe(false);
    expect(isMouseReports(bytes(''))).toBe(false);
  });

  it('never merges an edge next to a short event holding a control byte that is not mouse reports, nor after an Esc', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.uint8Array({ minLength: 1, maxLength: 40 }), (a, b) => {
        const keyLike = (x: Uint8Array): boolean => x.length <= MAX_KEY_EVENT_BYTES && !isPlainText(x) && !isMouseReports(x);
        expect(keyBoundaryMatters(a, b)).toBe(endsWithEscape(a) || keyLike(a) || keyLike(b));
        if (isPlainText(a) && isPlainText(b)) expect(keyBoundaryMatters(a, b)).toBe(false);
        if (isMouseReports(a)) expect(isPlainText(a)).toBe(false);
      }),
    );
  });
});
