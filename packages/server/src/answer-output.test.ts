import { describe, expect, it } from 'vitest';
import { ANSWER_WINDOW_MS, AnswerWatch, SMALL_ANSWER_BYTES } from './answer-output.js';

describe('AnswerWatch', () => {
  it('counts output as an answer only after input, within ANSWER_WINDOW_MS of it, and while it is small', () => {
    const watch = new AnswerWatch();
    expect(watch.output(10, 1000)).toBe(false); // no input yet: output nobody asked for
    watch.input(1000);
    expect(watch.output(11, 1001)).toBe(true); // Enter's echo
    expect(watch.output(SMALL_ANSWER_BYTES - 11, 1005)).toBe(true); // up to a screenful in all
    expect(watch.output(1, 1006)).toBe(false); // past it: a listing or a flood
    watch.input(2000);
    expect(watch.output(4096, 2001)).toBe(false); // one flood read after Ctrl-C is already large
    watch.input(3000);
    expect(watch.output(2, 3000 + ANSWER_WINDOW_MS - 1)).toBe(true);
    expect(watch.output(2, 3000 + ANSWER_WINDOW_MS)).toBe(false); // later than the window: a clock, a spinner
  });

  it('says whether the answer is still small by its size alone, for the session, which times its frames itself', () => {
    const watch = new AnswerWatch();
    expect(watch.small).toBe(true); // nothing read yet
    watch.input(1000);
    watch.output(SMALL_ANSWER_BYTES, 5000); // long after the window: the size verdict does not look at the time
    expect(watch.small).toBe(true);
    watch.output(1, 5001);
    expect(watch.small).toBe(false);
    watch.input(6000); // the next key starts a new answer
    expect(watch.small).toBe(true);
  });
});
