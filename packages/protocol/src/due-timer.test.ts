import { describe, expect, it } from 'vitest';
import { DueTimer, MAX_TIMER_DELAY_MS, type DueTimerFunctions } from './due-timer.js';

/** A platform timer that records what was set and cleared, and fires on request. */
function recordingTimers() {
  const armed = new Map<number, { callback: () => void; delayMs: number }>();
  const log: string[] = [];
  let next = 1;
  const timers: DueTimerFunctions = {
    set(callback, delayMs) {
      const handle = next++;
      armed.set(handle, { callback, delayMs });
      log.push(`set ${delayMs}`);
      return handle;
    },
    clear(handle) {
      armed.delete(handle as number);
      log.push('clear');
    },
  };
  const fire = () => {
    const [handle, entry] = [...armed][0]!;
    armed.delete(handle);
    entry.callback();
  };
  return { timers, log, armed, fire };
}

describe('DueTimer', () => {
  it('keeps the armed timer while the due time stays put, moves it when the due time moves, and fires once', () => {
    const { timers, log, armed, fire } = recordingTimers();
    let fired = 0;
    const timer = new DueTimer(timers, () => fired++);
    timer.arm(100, 150.2);
    timer.arm(120, 150.2);
    timer.arm(130, 150.2);
    expect(log).toEqual(['set 51']); // rounded up: never before the due time
    expect(timer.due).toBe(150.2);
    timer.arm(140, 145);
    expect(log).toEqual(['set 51', 'clear', 'set 5']);
    fire();
    expect(fired).toBe(1);
    expect(timer.due).toBe(Infinity);
    timer.arm(146, 145); // the same due as the one that fired: a new timer, at once
    expect(log.at(-1)).toBe('set 0');
    expect(armed.size).toBe(1);
  });

  it('disarms for a due time that never comes, clamps a far one to what setTimeout takes, and cancels', () => {
    const { timers, log, armed } = recordingTimers();
    const timer = new DueTimer(timers, () => undefined);
    timer.arm(0, 10);
    timer.arm(0, Infinity);
    expect(armed.size).toBe(0);
    expect(timer.due).toBe(Infinity);
    timer.arm(0, 1e12);
    expect(log.at(-1)).toBe(`set ${MAX_TIMER_DELAY_MS}`);
    timer.cancel();
    expect(armed.size).toBe(0);
    timer.cancel(); // twice is harmless
    expect(log.filter((line) => line === 'clear')).toHaveLength(2);
  });
});
