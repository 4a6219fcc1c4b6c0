import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INPUT_WINDOW_INITIAL_BYTES, INPUT_WINDOW_MAX_BYTES, INPUT_WINDOW_MIN_BYTES, INPUT_WINDOW_STEP_BYTES, InputWindow } from './input-window.js';

describe('InputWindow', () => {
  it('lets typing through whole: a few bytes beyond the acknowledged end never reach the window', () => {
    const window = new InputWindow();
    expect(window.limit(0, 3, 0)).toBe(INPUT_WINDOW_INITIAL_BYTES);
    expect(window.limit(3, 10, 0)).toBeGreaterThanOrEqual(10);
    expect(window.bytes).toBe(INPUT_WINDOW_INITIAL_BYTES); // no window was full, so none grew it
  });

  it('doubles per cleanly acknowledged full window until a resend, then halves and grows a step at a time', () => {
    const window = new InputWindow();
    const paste = 1_000_000;
    let acked = 0;
    const clean = (): void => void (acked = window.limit(acked, paste, resends));
    let resends = 0;
    clean(); // 0 → 4096 offered
    clean(); // 4096 acknowledged cleanly: doubled
    expect(window.bytes).toBe(2 * INPUT_WINDOW_INITIAL_BYTES);
    clean();
    expect(window.bytes).toBe(4 * INPUT_WINDOW_INITIAL_BYTES);
    resends++;
    window.limit(acked, paste, resends);
    expect(window.bytes).toBe(2 * INPUT_WINDOW_INITIAL_BYTES);
    const afterResend = window.bytes;
    acked = window.limit(acked, paste, resends);
    acked = window.limit(acked, paste, resends);
    expect(window.bytes).toBe(afterResend + INPUT_WINDOW_STEP_BYTES);
  });

  it('stays within its bounds and always admits something beyond the acknowledged end', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ ackBy: fc.nat(40_000), resend: fc.boolean(), more: fc.nat(100_000) }), { maxLength: 200 }), (steps) => {
        const window = new InputWindow();
        let acked = 0;
        let end = 0;
        let resends = 0;
        let offered = 0;
        for (const step of steps) {
          end += step.more;
          acked = Math.min(offered, acked + step.ackBy);
          if (step.resend) resends++;
          const limit = window.limit(acked, end, resends);
          expect(limit).toBeGreaterThan(acked);
          expect(window.bytes).toBeGreaterThanOrEqual(INPUT_WINDOW_MIN_BYTES);
          expect(window.bytes).toBeLessThanOrEqual(INPUT_WINDOW_MAX_BYTES);
          expect(limit - acked).toBe(window.bytes);
          offered = Math.max(offered, Math.min(end, limit));
        }
      }),
    );
  });

  it('shrinks to its floor under resends and no further', () => {
    const window = new InputWindow();
    for (let resends = 1; resends < 20; resends++) window.limit(0, 1_000_000, resends);
    expect(window.bytes).toBe(INPUT_WINDOW_MIN_BYTES);
  });
});
