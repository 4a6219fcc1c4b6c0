import { describe, expect, it } from 'vitest';
import { DEFAULT_INITIAL_RTT_MS, MAX_RTO_MS, MIN_RTO_MS, RttEstimator, timestamp16, timestampDiff } from './rtt.js';

describe('RttEstimator (RFC 6298)', () => {
  it('starts from a modest guess, not mosh 1 s, and the first sample replaces it', () => {
    const rtt = new RttEstimator();
    expect(rtt.hasSample).toBe(false);
    expect(rtt.srtt).toBe(DEFAULT_INITIAL_RTT_MS);
    expect(rtt.rto()).toBe(Math.ceil(DEFAULT_INITIAL_RTT_MS * 3)); // SRTT + 4 · SRTT/2
    expect(rtt.sample(40)).toBe(true);
    expect(rtt.hasSample).toBe(true);
    expect(rtt.srtt).toBe(40);
    expect(rtt.rttvar).toBe(20);
    expect(rtt.rto()).toBe(120);
  });

  it('seeds from a known round trip (the SSH exchange)', () => {
    const rtt = new RttEstimator(240);
    expect(rtt.srtt).toBe(240);
    expect(rtt.rttvar).toBe(120);
    expect(rtt.rto()).toBe(720);
    expect(rtt.hasSample).toBe(false);
    rtt.sample(200);
    expect(rtt.srtt).toBe(200);
    expect(new RttEstimator(Number.NaN).srtt).toBe(DEFAULT_INITIAL_RTT_MS);
    expect(new RttEstimator(0).srtt).toBe(DEFAULT_INITIAL_RTT_MS);
  });

  it('smooths later samples with α = 1/8, β = 1/4', () => {
    const rtt = new RttEstimator();
    rtt.sample(100);
    rtt.sample(200);
    expect(rtt.rttvar).toBe(0.75 * 50 + 0.25 * 100);
    expect(rtt.srtt).toBe(0.875 * 100 + 0.125 * 200);
  });

  it('ignores absurd samples (a suspended peer) and garbage', () => {
    const rtt = new RttEstimator();
    rtt.sample(80);
    for (const bad of [5000, 60_000, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(rtt.sample(bad)).toBe(false);
    expect(rtt.srtt).toBe(80);
    expect(rtt.sample(4999)).toBe(true);
  });

  it('keeps the latest accepted sample itself and counts them (for the congestion controller)', () => {
    const rtt = new RttEstimator(100);
    expect(rtt.sampleCount).toBe(0);
    expect(rtt.latestSample).toBeUndefined();
    rtt.sample(40);
    rtt.sample(90);
    rtt.sample(Number.NaN);
    expect(rtt.sampleCount).toBe(2);
    expect(rtt.latestSample).toBe(90);
  });

  it('clamps the RTO to 50..1000 ms', () => {
    const fast = new RttEstimator();
    for (let i = 0; i < 50; i++) fast.sample(1);
    expect(fast.rto()).toBe(MIN_RTO_MS);
    const slow = new RttEstimator();
    slow.sample(4000);
    expect(slow.rto()).toBe(MAX_RTO_MS);
  });
});

describe('16-bit timestamps', () => {
  it('wrap modulo 2^16 and never take the "none" value', () => {
    expect(timestamp16(0)).toBe(0);
    expect(timestamp16(65535)).toBe(0);
    expect(timestamp16(65536 + 7.9)).toBe(7);
    expect(timestampDiff(65536 + 10, 65530)).toBe(16);
    expect(timestampDiff(1000, 900)).toBe(100);
  });
});
