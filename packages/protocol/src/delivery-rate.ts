/**
 * How fast the path delivers a sender's bytes (BBR's delivery-rate sampling, pure): each acknowledged packet gives
 * one sample, the bytes acknowledged between its sending and its acknowledgement over the time that took, and the
 * estimate is the largest sample within a window. Random loss does not lower it (lost bytes are not counted, but the
 * ones that arrive still arrive at the path's rate); a queue does not raise it (bytes leave a queue at the rate of its
 * bottleneck).
 */
export class DeliveryRateEstimator {
  /** bytes acknowledged so far. */
  delivered = 0;
  /** ms (the caller's clock) of the latest acknowledgement, or of the restart after idle. */
  deliveredAt = 0;
  /** Samples in time order whose rates decrease: the front is the window's maximum (a monotonic queue). */
  private readonly samples: Array<{ readonly at: number; readonly bytesPerMs: number }> = [];

  /** bytes per ms: the largest sample within the window, or undefined before any. */
  get maxBytesPerMs(): number | undefined {
    return this.samples[0]?.bytesPerMs;
  }

  /**
   * bytes per ms: the largest sample taken within `windowMs` before `now`, or undefined when none is that recent (the
   * queue holds samples in time order with decreasing rates, so the first recent one is the largest of them).
   */
  maxWithin(now: number, windowMs: number): number | undefined {
    for (const sample of this.samples) if (now - sample.at <= windowMs) return sample.bytesPerMs;
    return undefined;
  }

  onAcked(bytes: number): void {
    this.delivered += bytes;
  }

  /**
   * One acknowledged packet (after `onAcked` counted everything this acknowledgement covered): it was sent when
   * `deliveredThen` bytes had been acknowledged, the latest of them at `deliveredAtThen`.
   */
  onPacketAcked(now: number, deliveredThen: number, deliveredAtThen: number, windowMs: number): void {
    this.deliveredAt = now;
    const interval = now - deliveredAtThen;
    // Under 1 ms the clock cannot tell the rate (loopback): such samples would claim anything.
    if (interval < 1) return;
    const bytesPerMs = (this.delivered - deliveredThen) / interval;
    while (this.samples.length > 0 && this.samples[this.samples.length - 1]!.bytesPerMs <= bytesPerMs) this.samples.pop();
    this.samples.push({ at: now, bytesPerMs });
    while (this.samples.length > 1 && now - this.samples[0]!.at > windowMs) this.samples.shift();
  }

  /** Sending starts after nothing was in flight: the time idle is not the path's delay. */
  restartFromIdle(now: number): void {
    this.deliveredAt = now;
  }
}
