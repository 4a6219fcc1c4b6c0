import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LogLineStore } from './log-line-store.js';

describe('LogLineStore', () => {
  it('keeps each line as the bytes it was given, wherever they lie, and compares lines by their bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 20 }), fc.nat(8), (lines, offset) => {
        // All lines in one shared array (as in a slab), after `offset` bytes of something else.
        const slab = new Uint8Array(offset + lines.reduce((n, l) => n + l.length, 0)).fill(0xee);
        const store = LogLineStore.empty();
        const copies = LogLineStore.empty();
        let at = offset;
        for (const line of lines) {
          slab.set(line, at);
          store.push(slab, at, at + line.length);
          copies.push(line.slice(), 0, line.length);
          at += line.length;
        }
        expect(store.length).toBe(lines.length);
        lines.forEach((line, i) => {
          expect([...store.line(i)]).toEqual([...line]);
          expect(store.sameLine(i, copies, i)).toBe(true);
        });
        for (let i = 0; i < lines.length; i++) {
          for (let j = 0; j < lines.length; j++) {
            const equal = lines[i]!.length === lines[j]!.length && lines[i]!.every((b, k) => b === lines[j]![k]);
            expect(store.sameLine(i, copies, j)).toBe(equal);
          }
        }
      }),
    );
  });

  it('a slice is a store of its own: pushing onto it leaves the original as it was', () => {
    const bytes = Uint8Array.of(1, 2, 3, 4, 5, 6);
    const store = LogLineStore.empty();
    for (let i = 0; i < 3; i++) store.push(bytes, i * 2, i * 2 + 2);
    const tail = store.slice(1);
    tail.push(Uint8Array.of(9), 0, 1);
    expect(store.length).toBe(3);
    expect(tail.length).toBe(3);
    expect([...tail.line(0)]).toEqual([3, 4]);
    expect([...tail.line(2)]).toEqual([9]);
    expect([...store.slice(0, 1).line(0)]).toEqual([1, 2]);
  });
});
