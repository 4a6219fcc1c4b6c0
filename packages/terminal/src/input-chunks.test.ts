import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutAllowedAt, GROUND, INPUT_CHUNK_BYTES, INPUT_CHUNK_MIN_BYTES, scanKeys, splitKeyEvent, type ScanState } from './input-chunks.js';
import { keyBoundaryMatters } from './key-boundary.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Pieces a terminal's input is made of: text (some multi-byte), controls, and sequences of every kind. */
const arbPiece = fc.oneof(
  { weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 80 }).map(encode) },
  { weight: 3, arbitrary: fc.constantFrom('é', '漢', '😀', '\r\n', '\r', '\n', '\t', '\x03', '\x7f').map(encode) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        '\x1b[A',
        '\x1b[13;2u',
        '\x1bOP',
        '\x1b[<0;12;5M',
        '\x1b[M !!',
        '\x1b]52;c;aGVsbG8=\x07',
        '\x1bP>|xterm\x1b\\',
        '\x1b_G;ok\x1b\\',
        '\x1b[200~',
        '\x1b[201~',
        '\x1ba',
        '\x1b\x1b[B',
        '\x1b',
      )
      .map(encode),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }) },
);
const arbEvent = fc.array(arbPiece, { minLength: 1, maxLength: 120 }).map((pieces) => Uint8Array.from(pieces.flatMap((p) => [...p])));
const arbState: fc.Arbitrary<ScanState> = fc.constantFrom('', '\x1b', '\x1b[', '\x1b[1;', '\x1bO', '\x1b]0;title', '\x1b]0;t\x1b', '\x1b[M', '\x1b[M ').map((s) => scanKeys(encode(s)));

/** The positions at which `chunks` cut their concatenation. */
function cutsOf(chunks: readonly Uint8Array[]): number[] {
  const cuts: number[] = [];
  let at = 0;
  for (const chunk of chunks.slice(0, -1)) cuts.push((at += chunk.length));
  return cuts;
}

/** Whether position `at` of `bytes` (after `prefix`) lies outside any sequence, by a reference scan of all of it. */
function outsideSequences(prefix: Uint8Array, bytes: Uint8Array, at: number): boolean {
  return scanKeys(bytes.subarray(0, at), scanKeys(prefix)) === GROUND;
}

describe('splitKeyEvent', () => {
  it('gives back the same bytes in the same order; every chunk within bounds; cuts only where allowed', () => {
    fc.assert(
      fc.property(arbEvent, arbState, fc.integer({ min: INPUT_CHUNK_MIN_BYTES, max: 400 }), (bytes, state, maxBytes) => {
        const chunks = splitKeyEvent(bytes, state, maxBytes);
        expect(Buffer.concat(chunks)).toEqual(Buffer.from(bytes));
        if (bytes.length <= maxBytes) expect(chunks).toHaveLength(1);
        const allowed = cutAllowedAt(bytes, state);
        let start = 0;
        for (const [i, chunk] of chunks.entries()) {
          const last = i === chunks.length - 1;
          // Never short enough to pass for a key: the server writes a paste's chunks with no gap between them.
          if (chunks.length > 1) expect(chunk.length).toBeGreaterThanOrEqual(INPUT_CHUNK_MIN_BYTES);
          if (chunk.length > maxBytes && !last) {
            // Longer than the bound only for want of an earlier allowed cut that leaves both sides long enough.
            for (let c = start + INPUT_CHUNK_MIN_BYTES; c < start + chunk.length; c++) expect(allowed[c]).toBe(false);
          }
          start += chunk.length;
        }
        for (const cut of cutsOf(chunks)) {
          expect(allowed[cut]).toBe(true);
          expect(bytes[cut]! & 0xc0).not.toBe(0x80); // not inside a UTF-8 character
          expect(bytes[cut - 1] === 0x0d && bytes[cut] === 0x0a).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never cuts inside an escape sequence, whatever state the previous event left', () => {
    fc.assert(
      fc.property(fc.constantFrom('', '\x1b[', '\x1b]0;x', '\x1b[M'), arbEvent, (before, bytes) => {
        const prefix = encode(before);
        for (const cut of cutsOf(splitKeyEvent(bytes, scanKeys(prefix), INPUT_CHUNK_MIN_BYTES))) expect(outsideSequences(prefix, bytes, cut)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('makes chunks whose edges the server never keeps apart (no pacing gap inside a paste)', () => {
    fc.assert(
      fc.property(arbEvent, (bytes) => {
        const chunks = splitKeyEvent(bytes, GROUND, INPUT_CHUNK_MIN_BYTES);
        for (let i = 1; i < chunks.length; i++) expect(keyBoundaryMatters(chunks[i - 1]!, chunks[i]!)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('cuts a 64 KB paste of text lines into chunks of at most INPUT_CHUNK_BYTES', () => {
    const line = 'some pasted text with é and 漢 in it\r\n';
    const paste = encode(`\x1b[200~${line.repeat(Math.ceil(65_536 / line.length))}\x1b[201~`);
    const chunks = splitKeyEvent(paste);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(paste));
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(paste.length / INPUT_CHUNK_BYTES));
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(INPUT_CHUNK_BYTES);
    // The bracketed paste's end marker stays whole.
    expect(new TextDecoder().decode(chunks[chunks.length - 1]!).endsWith('\x1b[201~')).toBe(true);
  });

  it('keeps an event with no allowed cut whole (a long OSC string)', () => {
    const osc = encode(`\x1b]52;c;${'A'.repeat(3000)}\x07`);
    expect(splitKeyEvent(osc)).toHaveLength(1);
    // Inside a string the previous event began, nothing is cut either until it ends.
    expect(splitKeyEvent(encode('B'.repeat(3000)), scanKeys(encode('\x1b]52;c;')))).toHaveLength(1);
  });

  it('refuses a bound below the shortest chunk', () => {
    expect(() => splitKeyEvent(encode('x'.repeat(100)), GROUND, 8)).toThrow(/maxBytes 8/);
  });
});
