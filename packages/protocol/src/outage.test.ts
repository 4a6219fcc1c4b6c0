import { describe, expect, it } from 'vitest';
import { OutageWatch } from './outage.js';

describe('OutageWatch', () => {
  it('suspects an outage the given number of resend delays after the first unanswered data transmission, until the peer is heard', () => {
    const watch = new OutageWatch(4);
    expect(watch.suspectedFrom(150)).toBe(Infinity); // nothing unanswered
    watch.noteDataSent(1000);
    watch.noteDataSent(1200); // a resend: the silence still counts from the first
    expect(watch.unansweredSince).toBe(1000);
    expect(watch.suspectedFrom(150)).toBe(1600);
    expect(watch.suspected(1599, 150)).toBe(false);
    expect(watch.suspected(1600, 150)).toBe(true);
    // The same delay as the estimate moves: the rule follows the resend delay, not a fixed time.
    expect(watch.suspectedFrom(300)).toBe(2200);
    // Heard before the outage was suspected: nothing to catch up on.
    expect(watch.noteHeard(1500, 150)).toBe(false);
    expect(watch.suspectedFrom(150)).toBe(Infinity);
    expect(watch.unansweredSince).toBeUndefined();
    // Heard after it: the caller resends at once; then the watch starts over.
    watch.noteDataSent(2000);
    expect(watch.noteHeard(2600, 150)).toBe(true);
    expect(watch.suspected(5000, 150)).toBe(false);
  });

  it('never suspects anything when switched off (0)', () => {
    const watch = new OutageWatch(0);
    watch.noteDataSent(0);
    expect(watch.suspectedFrom(100)).toBe(Infinity);
    expect(watch.noteHeard(60_000, 100)).toBe(false);
  });
});
