import { describe, expect, it } from 'vitest';
import { symmetricLink, type LinkProfile } from '@tsmosh/netem';
import { ByteLogState, CounterState, EchoingServer, Simulation, createSimulatedSession } from '@tsmosh/testkit';

const RTT_MS = 40;

/**
 * Keys typed at a person's pace (150–550 ms apart) into a server that echoes each the moment it holds it, over
 * `profile`, seeded: per key, how long until the client saw its echo, and each side's datagrams.
 */
function typing(seed: number, profile: LinkProfile, awaitedRepeatAfterMs: number) {
  const s = createSimulatedSession({
    seed,
    profile,
    initialRttMs: RTT_MS,
    clientInitial: ByteLogState.empty(),
    serverInitial: new CounterState(0),
    clientTiming: { collectionIntervalMs: 0, peerAckHoldMs: 50, awaitedRepeatAfterMs },
    serverTiming: { awaitedRepeatAfterMs },
  });
  const server = new EchoingServer(s.server);
  const typedAt: number[] = [];
  const echoMs: number[] = [];
  const client = {
    tick: (now: number) => s.client.tick(now),
    nextWakeup: (now: number) => s.client.nextWakeup(now),
    receive: (bytes: Uint8Array, from: Parameters<typeof s.client.receive>[1], now: number) => {
      s.client.receive(bytes, from, now);
      while (echoMs.length < Math.min(s.client.remote.value, typedAt.length)) echoMs.push(now - typedAt[echoMs.length]!);
    },
  };
  const simulation = new Simulation({ clock: s.clock, link: s.link, client, server });
  let t = 1000;
  for (let i = 0; i < 200; i++) {
    t += 150 + ((i * 7919) % 400);
    simulation.at(t, (now) => {
      typedAt.push(now);
      s.client.setLocal(s.client.local.append(Uint8Array.of(0x61)), now, { awaited: true });
    });
  }
  simulation.runUntil(t + 10_000);
  return { echoMs, client: s.client.stats, server: s.server.stats };
}

describe('awaited frames on a lightly lossy link (40 ms RTT, 1 % loss each way), seeded', () => {
  const lossy = symmetricLink({ delayMs: RTT_MS / 2, loss: 0.01 });
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const slow = (repeat: number) => seeds.flatMap((seed) => typing(seed, lossy, repeat).echoMs).filter((ms) => ms > 2 * RTT_MS).length;

  it('fewer keys wait over 2 × RTT for their echo with the spaced repeat than without (a lost datagram costs 10 ms, not a resend timeout)', () => {
    const without = slow(0);
    const withRepeat = slow(10);
    expect(without).toBeGreaterThan(10); // about one key in 50 meets a loss on its way or its echo's
    expect(withRepeat).toBeLessThanOrEqual(without / 3);
  });

  it('on a clean link the repeat changes nothing: the same datagrams, no copy', () => {
    const clean = symmetricLink({ delayMs: RTT_MS / 2 });
    for (const seed of [1, 2, 3]) {
      const on = typing(seed, clean, 10);
      const off = typing(seed, clean, 0);
      expect(on.client.datagramsSent).toBe(off.client.datagramsSent);
      expect(on.server.datagramsSent).toBe(off.server.datagramsSent);
      expect(on.client.spacedCopies + on.server.spacedCopies + on.client.redundantCopies + on.server.redundantCopies).toBe(0);
      expect(on.echoMs).toEqual(off.echoMs);
    }
  });
});
