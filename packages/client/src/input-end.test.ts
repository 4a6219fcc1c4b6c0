import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { END_OF_FILE_KEY, InputEnd } from './input-end.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('InputEnd', () => {
  it('ends an empty input, or one whose last line is complete, with one Ctrl-D', () => {
    expect([...new InputEnd().endBytes()]).toEqual([END_OF_FILE_KEY]);
    const end = new InputEnd();
    end.sent(bytes('a\nb\n'));
    expect([...end.endBytes()]).toEqual([END_OF_FILE_KEY]);
    end.sent(bytes('typed\r'));
    expect([...end.endBytes()]).toEqual([END_OF_FILE_KEY]);
  });

  it('ends a partial last line with two: one hands the line over, the other is the end of file', () => {
    const end = new InputEnd();
    end.sent(bytes('a\nno newline'));
    expect([...end.endBytes()]).toEqual([END_OF_FILE_KEY, END_OF_FILE_KEY]);
    end.sent(new Uint8Array(0)); // an empty chunk changes nothing
    expect([...end.endBytes()]).toEqual([END_OF_FILE_KEY, END_OF_FILE_KEY]);
  });

  it('depends only on the last byte sent, however the input was split', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 6 }), (chunks) => {
        const end = new InputEnd();
        for (const chunk of chunks) end.sent(chunk);
        const all = chunks.flatMap((chunk) => [...chunk]);
        const last = all[all.length - 1];
        const expected = last === undefined || last === 0x0a || last === 0x0d ? 1 : 2;
        expect(end.endBytes().length).toBe(expected);
        expect([...end.endBytes()].every((byte) => byte === END_OF_FILE_KEY)).toBe(true);
      }),
    );
  });
});
