import { describe, expect, it } from 'vitest';
import { ANSWER_DRAWS_AFTER_ACK, ANSWER_DRAW_WINDOW_MS, AnswerDraws } from './answer-draws.js';

describe('AnswerDraws', () => {
  it('draws nothing at once before any acknowledgement: a flood nobody types into stays paced', () => {
    const draws = new AnswerDraws();
    for (let at = 0; at < 1000; at += 20) expect(draws.drawAtOnce(at)).toBe(false);
  });

  it('draws the frames that follow an acknowledgement at once, within its window and up to its count', () => {
    const draws = new AnswerDraws();
    draws.acknowledged(1000);
    expect(draws.drawAtOnce(1003)).toBe(true);
    expect(draws.drawAtOnce(1000 + ANSWER_DRAW_WINDOW_MS)).toBe(false);
    draws.acknowledged(2000);
    const drawn = Array.from({ length: ANSWER_DRAWS_AFTER_ACK + 3 }, (_, i) => draws.drawAtOnce(2001 + i));
    expect(drawn.filter(Boolean)).toHaveLength(ANSWER_DRAWS_AFTER_ACK);
    expect(drawn.at(-1)).toBe(false);
  });

  it('opens a fresh window at each acknowledgement', () => {
    const draws = new AnswerDraws();
    draws.acknowledged(1000);
    for (let i = 0; i < ANSWER_DRAWS_AFTER_ACK; i++) draws.drawAtOnce(1001);
    expect(draws.drawAtOnce(1002)).toBe(false);
    draws.acknowledged(1010);
    expect(draws.drawAtOnce(1011)).toBe(true);
  });
});
