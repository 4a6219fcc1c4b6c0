import { describe, expect, it } from 'vitest';
import type { SessionStatus } from './session.js';
import { SessionWatch, type SessionCheck } from './session-watch.js';

const status = (lastContactAgoMs: number, everHeard = true): SessionStatus =>
  ({ everHeard, connected: lastContactAgoMs < 5_000, lastContactAgoMs, srttMs: undefined }) as unknown as SessionStatus;

/** A check whose answers the test hands out one at a time. */
function scriptedCheck() {
  const pending: Array<(result: SessionCheck) => void> = [];
  return {
    calls: () => pending.length,
    check: () => new Promise<SessionCheck>((resolve) => pending.push(resolve)),
    answer: async (result: SessionCheck) => {
      pending.at(-1)!(result);
      await Promise.resolve();
      await Promise.resolve();
    },
  };
}

const timing = { silenceBeforeCheckMs: 15_000, checkIntervalMs: 20_000 };

describe('SessionWatch', () => {
  it('asks only after 15 s of silence from a server once heard, one check at a time, then every 20 s', async () => {
    const script = scriptedCheck();
    const gone: string[] = [];
    const watch = new SessionWatch(script.check, (message) => gone.push(message), timing);
    watch.onStatus(status(60_000, false), 0); // never heard: first contact has its own timeout
    watch.onStatus(status(14_999), 1_000);
    expect(script.calls()).toBe(0);
    watch.onStatus(status(15_000), 2_000);
    watch.onStatus(status(16_000), 3_000); // the first check is still out
    expect(script.calls()).toBe(1);
    await script.answer({ kind: 'unknown' }); // the link is down too: nothing concluded
    watch.onStatus(status(17_000), 4_000);
    expect(script.calls()).toBe(1);
    watch.onStatus(status(35_000), 22_000);
    expect(script.calls()).toBe(2);
    await script.answer({ kind: 'running' });
    watch.onStatus(status(55_000), 42_000);
    expect(script.calls()).toBe(3);
    await script.answer({ kind: 'gone', message: 'tsmosh: gone' });
    expect(gone).toEqual(['tsmosh: gone']);
    watch.onStatus(status(80_000), 90_000);
    expect(script.calls()).toBe(3); // stopped after its verdict
  });

  it('starts over when the server is heard again, and asks nothing once stopped', async () => {
    const script = scriptedCheck();
    const watch = new SessionWatch(script.check, () => {}, timing);
    watch.onStatus(status(15_000), 0);
    await script.answer({ kind: 'running' });
    watch.onStatus(status(100), 5_000); // heard again
    watch.onStatus(status(15_000), 10_000); // a new silence: no need to wait out the old interval
    expect(script.calls()).toBe(2);
    await script.answer({ kind: 'running' });
    watch.stop();
    watch.onStatus(status(60_000), 100_000);
    expect(script.calls()).toBe(2);
  });

  it('survives a check that throws', async () => {
    const watch = new SessionWatch(() => Promise.reject(new Error('boom')), () => {}, timing);
    watch.onStatus(status(15_000), 0);
    await new Promise((r) => setTimeout(r, 0));
    expect(() => watch.onStatus(status(40_000), 25_000)).not.toThrow();
  });
});
