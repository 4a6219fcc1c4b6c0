import { describe, expect, it } from 'vitest';
import { CongestionController, DRAIN_GAIN, INITIAL_BUDGET_BYTES, MEMORY_MIN_MS, MIN_RTT_WINDOW_MS, PROBE_GAIN } from './congestion.js';

const ALLOWANCE = 2500;
const LOSS_TIMEOUT_MS = 200;

/**
 * A sender that always has a frame of `frameBytes` to send, every `intervalMs` at most, held by the controller,
 * over a path of `minRttMs` with a bottleneck of `bytesPerMs` and an unbounded FIFO queue in front of it. The
 * receiver acknowledges every frame the moment it arrives; the acknowledgement's timestamp gives the round trip (of
 * the frame's last datagram, so it includes the queue ahead of the frame and the frame's own sending).
 * Times are whole milliseconds, as the transport's clock.
 */
function flood(options: { bytesPerMs: number; minRttMs: number; frameBytes: number; intervalMs: number; durationMs: number; settledAfterMs?: number; controller?: CongestionController }) {
  const cc = options.controller ?? new CongestionController({ ackAllowanceBytes: ALLOWANCE });
  let busyUntil = 0;
  let num = 0;
  let lastSentAt = -Infinity;
  let maxQueueBytes = 0;
  let sentBytes = 0;
  const acks: Array<{ at: number; num: number; rtt: number }> = [];
  for (let now = 0; now < options.durationMs; now++) {
    while (acks.length > 0 && acks[0]!.at <= now) {
      const ack = acks.shift()!;
      cc.onPathRtt(ack.rtt, now);
      cc.onAcknowledged(ack.num, now);
    }
    if (now - lastSentAt < options.intervalMs) continue;
    const allowed = cc.sendAllowedAt(now, LOSS_TIMEOUT_MS);
    if (allowed > now) {
      cc.noteHeld(now);
      continue;
    }
    num++;
    lastSentAt = now;
    sentBytes += options.frameBytes;
    cc.onSent(num, options.frameBytes, now);
    const queued = Math.max(0, busyUntil - now) * options.bytesPerMs;
    if (now >= (options.settledAfterMs ?? 0)) maxQueueBytes = Math.max(maxQueueBytes, queued);
    busyUntil = Math.max(now, busyUntil) + options.frameBytes / options.bytesPerMs;
    const arrives = busyUntil + options.minRttMs / 2;
    const ackAt = Math.ceil(arrives + options.minRttMs / 2);
    acks.push({ at: ackAt, num, rtt: ackAt - now });
    acks.sort((a, b) => a.at - b.at);
  }
  const queueAtEndBytes = Math.max(0, busyUntil - options.durationMs) * options.bytesPerMs;
  return { cc, maxQueueBytes, queueAtEndBytes, sentBytes, frames: num };
}

describe('CongestionController', () => {
  it('before any rate is known, lets INITIAL_BUDGET_BYTES, the ack allowance and one frame be in flight', () => {
    const cc = new CongestionController({ ackAllowanceBytes: ALLOWANCE });
    expect(cc.budgetBytes(0)).toBe(INITIAL_BUDGET_BYTES + ALLOWANCE);
    let num = 0;
    let now = 0;
    while (cc.sendAllowedAt(now, LOSS_TIMEOUT_MS) === now) cc.onSent(++num, 5000, (now += 20));
    // 16 KB + 2.5 KB + one 5 KB frame (23.9 KB): four frames in flight are under it, so a fifth goes; the sixth waits.
    expect(num).toBe(5);
    expect(cc.limited(now)).toBe(false);
    // …until the first sent counts as lost (the resend timer's view) or an acknowledgement comes.
    expect(cc.sendAllowedAt(now, LOSS_TIMEOUT_MS)).toBe(20 + LOSS_TIMEOUT_MS);
    cc.onAcknowledged(1, now + 1);
    expect(cc.sendAllowedAt(now + 1, LOSS_TIMEOUT_MS)).toBe(now + 1);
  });

  it('an unconstrained path: never paced, never held, every frame goes at its interval, as without it', () => {
    // 100 kB/s of frames over a path ten times faster: no queue forms, the round trip stays at its minimum.
    const { cc, frames } = flood({ bytesPerMs: 1000, minRttMs: 40, frameBytes: 2000, intervalMs: 20, durationMs: 5000 });
    expect(frames).toBe(250);
    expect(cc.limited(5000)).toBe(false);
    expect(cc.pacingRate(5000, LOSS_TIMEOUT_MS)).toBe(Infinity);
  });

  it('loopback: a round trip that only looks like a queue (a busy host) paces, but frames acknowledged within a millisecond never wait', () => {
    const cc = new CongestionController({ ackAllowanceBytes: ALLOWANCE });
    for (let num = 1; num <= 50; num++) {
      const now = num * 20;
      expect(cc.sendAllowedAt(now, LOSS_TIMEOUT_MS)).toBe(now);
      cc.onSent(num, 8000, now);
      cc.onPathRtt(num % 5 === 0 ? 30 : 0.2, now + 0.5);
      cc.onAcknowledged(num, now + 0.5);
    }
    expect(cc.limited(1000)).toBe(true);
  });

  it('a delivery rate needs an interval of a millisecond or more: acknowledgements as fast as the clock give none, and nothing is paced', () => {
    const cc = new CongestionController({ ackAllowanceBytes: ALLOWANCE });
    cc.onPathRtt(0.2, 0);
    cc.onSent(1, 8000, 0);
    cc.onPathRtt(30, 0.5);
    cc.onAcknowledged(1, 0.5);
    expect(cc.deliveryRate(1)).toBeUndefined();
    expect(cc.limited(1)).toBe(false);
  });

  it('a flood of large frames three times faster than a 1 Mbit/s bottleneck: the queue stays within about one frame, the path busy', () => {
    const bytesPerMs = 125; // 1 Mbit/s
    const frameBytes = 8000;
    const { cc, maxQueueBytes, queueAtEndBytes, sentBytes } = flood({ bytesPerMs, minRttMs: 40, frameBytes, intervalMs: 20, durationMs: 10_000, settledAfterMs: 2000 });
    expect(cc.limited(10_000)).toBe(true);
    // The rate found is the bottleneck's, and the path was kept busy.
    expect(cc.deliveryRate(10_000)).toBeGreaterThan(0.9 * bytesPerMs);
    expect(cc.deliveryRate(10_000)).toBeLessThan(1.3 * bytesPerMs);
    expect(sentBytes).toBeGreaterThan(0.85 * bytesPerMs * 10_000);
    expect(maxQueueBytes).toBeLessThan(2.5 * frameBytes);
    expect(queueAtEndBytes).toBeLessThan(2.5 * frameBytes);
  });

  it('without it the same flood fills any queue: the test above can fail', () => {
    const cc = new CongestionController({ ackAllowanceBytes: ALLOWANCE });
    const unlimited = { onPathRtt: () => {}, onAcknowledged: cc.onAcknowledged.bind(cc), onSent: cc.onSent.bind(cc), sendAllowedAt: (now: number) => now, noteHeld: () => {} };
    const { maxQueueBytes } = flood({ bytesPerMs: 125, minRttMs: 40, frameBytes: 8000, intervalMs: 20, durationMs: 10_000, settledAfterMs: 2000, controller: unlimited as unknown as CongestionController });
    expect(maxQueueBytes).toBeGreaterThan(500_000);
  });

  it('once limited, paces a frame after the last one\'s bytes at 1.25 × the rate, or at 0.75 × while a queue is in flight', () => {
    const cc = new CongestionController({ ackAllowanceBytes: 0 });
    // A path of 10 bytes/ms and 100 ms; a queue seen while a frame is in flight.
    cc.onPathRtt(100, 0);
    cc.onSent(1, 1000, 0);
    cc.onAcknowledged(1, 100);
    cc.onSent(2, 2000, 100);
    cc.onPathRtt(300, 100);
    expect(cc.deliveryRate(100)).toBe(10);
    expect(cc.limited(100)).toBe(true);
    // In flight 2000 ≤ the BDP (1000) and one frame (2000): probe.
    expect(cc.pacingRate(100, LOSS_TIMEOUT_MS)).toBe(PROBE_GAIN * 10);
    expect(cc.sendAllowedAt(100, LOSS_TIMEOUT_MS)).toBe(100 + 2000 / (PROBE_GAIN * 10));
    // (An answer goes unpaced; then a frame at its time.)
    cc.onSent(3, 1000, 150);
    cc.onSent(4, 1000, 180);
    // 4000 in flight > 1000 + 2000: drain.
    expect(cc.pacingRate(180, LOSS_TIMEOUT_MS)).toBe(DRAIN_GAIN * 10);
    expect(cc.sendAllowedAt(180, LOSS_TIMEOUT_MS)).toBe(180 + 1000 / (DRAIN_GAIN * 10));
  });

  it('over the budget, a frame may go when an acknowledgement comes or when enough frames in flight count as lost', () => {
    const cc = new CongestionController({ ackAllowanceBytes: 0 });
    cc.onSent(1, 9000, 0);
    cc.onSent(2, 9000, 10);
    cc.onSent(3, 9000, 20);
    // Budget 16384 + the largest frame (9000): 27000 in flight is over it; frame 1 counting as lost brings it under.
    expect(cc.budgetBytes(30)).toBe(INITIAL_BUDGET_BYTES + 9000);
    expect(cc.sendAllowedAt(30, LOSS_TIMEOUT_MS)).toBe(0 + LOSS_TIMEOUT_MS);
    cc.onAcknowledged(1, 40);
    expect(cc.sendAllowedAt(40, LOSS_TIMEOUT_MS)).toBe(40);
  });

  it('a resend of a number replaces its record', () => {
    const cc = new CongestionController({ ackAllowanceBytes: 0 });
    cc.onSent(1, 1000, 0);
    cc.onSent(2, 2000, 20);
    cc.onSent(2, 700, 250);
    expect(cc.bytesInFlight(260, LOSS_TIMEOUT_MS)).toBe(700);
    expect(cc.bytesInFlight(260, 1000)).toBe(1700);
  });

  it('stops pacing once the flood ends: after its memory the path counts as unconstrained again', () => {
    const { cc } = flood({ bytesPerMs: 125, minRttMs: 40, frameBytes: 8000, intervalMs: 20, durationMs: 3000 });
    expect(cc.limited(3000)).toBe(true);
    // Idle: heartbeats only, the round trip back at its minimum; nothing held.
    cc.onPathRtt(40, 3500);
    cc.noteHeld(3000 + MEMORY_MIN_MS + 200);
    expect(cc.limited(3000 + MEMORY_MIN_MS + 200)).toBe(false);
    expect(cc.pacingRate(3000 + MEMORY_MIN_MS + 200, LOSS_TIMEOUT_MS)).toBe(Infinity);
  });

  it('a long round trip while little is in flight (a busy host, someone else\'s traffic) is no queue of ours: no pacing', () => {
    const cc = new CongestionController({ ackAllowanceBytes: ALLOWANCE });
    cc.onPathRtt(1, 0);
    // Typing: small frames, a low delivery rate.
    for (let num = 1; num <= 10; num++) {
      cc.onSent(num, 200, num * 100);
      cc.onAcknowledged(num, num * 100 + 1);
    }
    cc.onSent(11, 200, 1100);
    cc.onPathRtt(80, 1101);
    expect(cc.limited(1101)).toBe(false);
    // The same round trip with a flood's frames in flight is a queue.
    cc.onSent(12, 8000, 1102);
    cc.onPathRtt(80, 1103);
    expect(cc.limited(1103)).toBe(true);
  });

  it('a frame held by the budget alone, on a path that showed no queue, does not start the pacing', () => {
    const cc = new CongestionController({ ackAllowanceBytes: 0 });
    cc.onPathRtt(40, 0);
    cc.onSent(1, 1000, 0);
    cc.onAcknowledged(1, 50);
    cc.noteHeld(60);
    expect(cc.limited(60)).toBe(false);
  });

  it('takes the smallest round trip of the window, and the last window\u2019s smallest once it has passed', () => {
    const cc = new CongestionController({ ackAllowanceBytes: 0 });
    cc.onPathRtt(40, 0);
    cc.onPathRtt(60, 1000);
    expect(cc.minRttMs).toBe(40);
    cc.onPathRtt(55, 5000);
    cc.onPathRtt(70, MIN_RTT_WINDOW_MS + 1);
    expect(cc.minRttMs).toBe(55);
  });

  it('refuses a negative allowance with a message naming it', () => {
    expect(() => new CongestionController({ ackAllowanceBytes: -1 })).toThrow(/ackAllowanceBytes/);
  });
});
