import { describe, expect, it } from 'vitest';
import { answerableByCursor, MOVED_FRAMES, MovedCursorWatch } from './moved-cursor-answer.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('MovedCursorWatch', () => {
  it('answers once the cursor rests on another row for MOVED_FRAMES frames in a row (tmux: Ctrl-B o beside a flood)', () => {
    const watch = new MovedCursorWatch({ y: 2 });
    for (let i = 0; i < 5; i++) watch.frame({ y: 2 }); // the flood's pane: the cursor stays on the row it scrolls at
    expect(watch.answered).toBe(false);
    for (let i = 1; i <= MOVED_FRAMES; i++) {
      expect(watch.answered).toBe(false);
      watch.frame({ y: 4 });
    }
    expect(watch.answered).toBe(true);
  });

  it('does not answer on a cursor that moves from row to row (output filling the screen), nor one back on its row in between', () => {
    const filling = new MovedCursorWatch({ y: 0 });
    for (let y = 1; y < 10; y++) filling.frame({ y });
    expect(filling.answered).toBe(false);
    const back = new MovedCursorWatch({ y: 2 });
    for (let i = 0; i < 10; i++) back.frame({ y: i % 2 === 0 ? 4 : 2 });
    expect(back.answered).toBe(false);
  });

  it('leaves keys with Enter or a line feed to the output going quiet', () => {
    expect(answerableByCursor(bytes('\x02o'))).toBe(true);
    expect(answerableByCursor(bytes('\x1b[A'))).toBe(true);
    expect(answerableByCursor(bytes('\r'))).toBe(false);
    expect(answerableByCursor(bytes('ls\n'))).toBe(false);
  });
});
