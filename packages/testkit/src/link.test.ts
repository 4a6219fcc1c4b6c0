import { describe, expect, it } from 'vitest';
import { symmetricLink, directionProfile } from '@tsmosh/netem';
import { InMemoryLink } from './link.js';
import { ManualClock } from './clock.js';
import { seededRandom } from './random.js';

const datagram = (to: { host: string; port: number }, size: number, tag = 0) => ({ to, bytes: new Uint8Array(size).fill(tag) });

describe('InMemoryLink', () => {
  it('delivers after the profile delay, in order, from the sender address', () => {
    const link = new InMemoryLink({ seed: 1, profile: symmetricLink({ delayMs: 40 }) });
    link.send('client', [datagram(link.serverAddress, 10, 1), datagram(link.serverAddress, 10, 2)], 0);
    expect(link.nextDeliveryAt()).toBe(40);
    expect(link.deliverDue(39)).toEqual([]);
    const arrived = link.deliverDue(40);
    expect(arrived.map((d) => [d.to, d.bytes[0], d.from])).toEqual([
      ['server', 1, link.clientAddress],
      ['server', 2, link.clientAddress],
    ]);
    expect(link.inFlightCount).toBe(0);
  });

  it('drops datagrams over the MTU and counts them', () => {
    const link = new InMemoryLink({ seed: 1, mtu: 300 });
    link.send('client', [datagram(link.serverAddress, 301), datagram(link.serverAddress, 300)], 0);
    expect(link.counters.oversize).toBe(1);
    expect(link.deliverDue(0)).toHaveLength(1);
  });

  it('uses the netem model: the same seed gives the same losses, and loss is near the profile rate', () => {
    const run = (seed: number) => {
      const link = new InMemoryLink({ seed, profile: symmetricLink({ loss: 0.3 }) });
      for (let i = 0; i < 2000; i++) link.send('client', [datagram(link.serverAddress, 20, i & 0xff)], i);
      return link.deliverDue(10_000).map((d) => d.at);
    };
    const first = run(7);
    expect(run(7)).toEqual(first);
    // 2000 draws at p = 0.3: the count is within 6 standard deviations (±123) with overwhelming probability.
    expect(Math.abs(2000 - first.length - 600)).toBeLessThan(123);
  });

  it('routes by address at arrival: after the client rebinds, datagrams to its old address are lost', () => {
    const link = new InMemoryLink({ seed: 3, profile: { up: directionProfile({ delayMs: 10 }), down: directionProfile({ delayMs: 10 }) } });
    const oldAddress = link.clientAddress;
    link.send('server', [datagram(oldAddress, 5)], 0);
    link.rebindClient({ host: '127.0.0.2', port: 40_000 });
    link.send('client', [datagram(link.serverAddress, 5)], 1);
    const arrived = link.deliverDue(20);
    expect(arrived).toHaveLength(1);
    expect(arrived[0]!.from).toEqual({ host: '127.0.0.2', port: 40_000 });
    expect(link.counters.misaddressed).toBe(1);
  });

  it('refuses client datagrams that are not addressed to the server', () => {
    const link = new InMemoryLink({ seed: 1 });
    link.send('client', [datagram({ host: '10.0.0.1', port: 1 }, 5)], 0);
    expect(link.counters.unroutable).toBe(1);
  });
});

describe('ManualClock and seededRandom', () => {
  it('the clock only moves forward', () => {
    const clock = new ManualClock(5);
    expect(clock.advance(10)).toBe(15);
    clock.set(20);
    expect(() => clock.set(19)).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('the same seed gives the same bytes, floats and ints; another seed differs', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    expect(a.bytes(16)).toEqual(b.bytes(16));
    expect(a.float()).toBe(b.float());
    expect(a.int(1000)).toBe(b.int(1000));
    expect(seededRandom(43).bytes(16)).not.toEqual(seededRandom(42).bytes(16));
    for (let i = 0; i < 100; i++) {
      const f = a.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
  });
});
