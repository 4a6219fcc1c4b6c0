import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endsInsideSequence, isLoneEscape, isMouseReports, isPlainText, keyBoundaryMatters, MAX_KEY_EVENT_BYTES } from './key-boundary.js';

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

  it('keeps whatever follows the Escape key apart, even a paste', () => {
    const paste = `\x1b[200~${'line\r'.repeat(20)}\x1b[201~`;
    expect(matters('\x1b', 'j')).toBe(true);
    expect(matters('\x1b', '\x1b')).toBe(true);
    expect(matters('\x1b', paste)).toBe(true);
  });

  it('merges an event that ends inside an escape sequence with the next, which goes on with it', () => {
    // A paste cut by the client's read just inside its end marker, or a key's sequence cut after its Esc.
    expect(matters(`${'line\r'.repeat(10)}\x1b`, '[201~')).toBe(false);
    expect(matters(`${'line\r'.repeat(10)}\x1b[20`, '1~')).toBe(false);
    expect(matters('ab\x1b', '[A')).toBe(false);
    expect(matters('\x1bO', 'A')).toBe(false);
    expect(matters('\x1b]11;rgb:0000/', '0000/0000\x07')).toBe(false);
    for (const complete of ['\x1b[A', '\x1bOA', '\x1bj', '\x1b]11;rgb:0/0/0\x07', '\x1b]11;x\x1b\\', 'abc']) expect(endsInsideSequence(bytes(complete))).toBe(false);
    for (const cut of ['\x1b', 'a\x1b', '\x1b[', '\x1b[1;5', '\x1bO', '\x1b]0;title', '\x1bP1$r']) expect(endsInsideSequence(bytes(cut))).toBe(true);
    expect(isLoneEscape(bytes('\x1b'))).toBe(true);
    expect(isLoneEscape(bytes('a\x1b'))).toBe(false);
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

  it('merges plain text always, and keeps the Escape key apart always, whatever else', () => {
    const chunk = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.constantFrom('\x1b', '\x1b[', '\r', 'a', '\x1b[<0;1;1M').map(bytes));
    fc.assert(
      fc.property(chunk, chunk, (a, b) => {
        if (isPlainText(a) && isPlainText(b)) expect(keyBoundaryMatters(a, b)).toBe(false);
        if (isLoneEscape(a)) expect(keyBoundaryMatters(a, b)).toBe(true);
        if (!isLoneEscape(a) && endsInsideSequence(a)) expect(keyBoundaryMatters(a, b)).toBe(false);
        if (isMouseReports(a)) expect(isPlainText(a)).toBe(false);
      }),
    );
  });
});
