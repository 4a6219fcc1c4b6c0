import { describe, expect, it } from 'vitest';
import { symmetricLink, type LinkProfile } from '@tsmosh/netem';
import { ByteLogState, Simulation, createSimulatedSession, seededRandom, type SimulatedEndpoint } from '@tsmosh/testkit';
import type { Connection, PeerAddress, SyncState, Transport, TransportTiming } from '@tsmosh/protocol';

/** The thin link: 1 Mbit/s each way behind a 64 KB buffer, 40 ms RTT, 1 % loss. */
const THIN = symmetricLink({ delayMs: 20, loss: 0.01, rateBytesPerSecond: 125_000, queue: { bytes: 64 * 1024 } });
const RTT_MS = 40;

/**
 * A screen under a flood: the flood's newest output (incompressible bytes, numbered) and, apart from it, the echo of
 * the keys typed (a count), so that an echo on its own is a small diff, as a typed character's is.
 */
class FloodScreen implements SyncState<FloodScreen> {
  constructor(
    readonly echo: number,
    readonly floodId: number,
    readonly flood: Uint8Array,
  ) {}

  diffFrom(existing: FloodScreen): Uint8Array {
    const floodChanged = existing.floodId !== this.floodId;
    const diff = new Uint8Array(9 + (floodChanged ? this.flood.length : 0));
    const view = new DataView(diff.buffer);
    view.setUint32(0, this.echo);
    diff[4] = floodChanged ? 1 : 0;
    view.setUint32(5, this.floodId);
    if (floodChanged) diff.set(this.flood, 9);
    return diff;
  }

  applyDiff(diff: Uint8Array): FloodScreen {
    if (diff.length === 0) return this;
    const view = new DataView(diff.buffer, diff.byteOffset, diff.byteLength);
    const floodId = view.getUint32(5);
    return new FloodScreen(view.getUint32(0), floodId, diff[4] === 1 ? diff.slice(9) : this.flood);
  }

  subtract(): FloodScreen {
    return this;
  }

  equals(other: FloodScreen): boolean {
    return other.echo === this.echo && other.floodId === this.floodId;
  }
}

/**
 * A program that floods its screen and answers keystrokes, as the server's side of a session. A key is answered the
 * moment it arrives and sent unpaced (`answersInput`), as the server sends an echo.
 */
class FloodingProgram implements SimulatedEndpoint {
  private seenInput = 0;
  private floodId = 0;
  private readonly random = seededRandom(7);

  constructor(private readonly transport: Transport<FloodScreen, ByteLogState, Connection>) {}

  /** The flood writes a new screen of `bytes` incompressible bytes. */
  write(bytes: number, now: number): void {
    const local = this.transport.local;
    this.transport.setLocal(new FloodScreen(local.echo, ++this.floodId, this.random.bytes(bytes)), now);
  }

  tick(now: number): ReturnType<SimulatedEndpoint['tick']> {
    return this.transport.tick(now);
  }

  nextWakeup(now: number): number {
    return this.transport.nextWakeup(now);
  }

  receive(bytes: Uint8Array, from: PeerAddress, now: number): void {
    this.transport.receive(bytes, from, now);
    const end = this.transport.remote.end;
    if (end === this.seenInput) return;
    const local = this.transport.local;
    const echo = local.echo + end - this.seenInput;
    this.seenInput = end;
    this.transport.setLocal(new FloodScreen(echo, local.floodId, local.flood), now, { complete: true, answersInput: true });
  }
}

interface FloodRun {
  /** ms from each key typed to its echo on the client's screen. */
  readonly echoDelays: number[];
  readonly keys: number;
  /** bytes waiting in the server → client bottleneck: the largest after the flood's first half second, and the median once it settled. */
  readonly maxQueueBytes: number;
  readonly medianQueueBytes: number;
  readonly queueDrops: number;
  readonly dataFrames: number;
  readonly framesHeld: number;
  /** When each data frame reached the client (the client's held states, in order): the unconstrained comparison. */
  readonly deliveredBytes: number;
}

/**
 * A flood of `screenBytes`-byte screens written every 5 ms from 0.5 s to the end (`seconds`), with a key typed every
 * second from `typingFromMs` on. Before the flood, one key and its echo give both sides a round trip, as a session's
 * first exchange does.
 */
function flood(options: {
  readonly seed: number;
  readonly seconds: number;
  readonly screenBytes: number;
  readonly profile: LinkProfile;
  readonly rttMs: number;
  readonly congestionControl: boolean;
  readonly typingFromMs?: number;
}): FloodRun {
  const s = createSimulatedSession({
    seed: options.seed,
    profile: options.profile,
    initialRttMs: options.rttMs,
    clientInitial: ByteLogState.empty(),
    serverInitial: new FloodScreen(0, 0, new Uint8Array(0)),
    clientTiming: { collectionIntervalMs: 1 },
    serverTiming: { congestionControl: options.congestionControl },
  });
  const program = new FloodingProgram(s.server);
  // Drive the server through the program, as the session drives its transport.
  const simulation = new Simulation({ clock: s.clock, link: s.link, client: s.client, server: program });
  const endMs = options.seconds * 1000;
  const queueSamples: number[] = [];
  let maxQueueBytes = 0;
  const typedAt: number[] = [];
  const echoDelays: number[] = [];
  const type = (now: number): void => s.client.setLocal(s.client.local.append(new Uint8Array([0x61])), now);
  simulation.at(100, type);
  for (let at = 500; at < endMs; at += 5) {
    simulation.at(at, (now) => {
      program.write(options.screenBytes, now);
      const queued = s.link.netem.down.queuedBytes(now);
      if (now >= 1000) maxQueueBytes = Math.max(maxQueueBytes, queued);
      if (now >= SETTLED_MS) queueSamples.push(queued);
    });
  }
  for (let at = options.typingFromMs ?? SETTLED_MS; at < endMs - 1000; at += 1000) {
    simulation.at(at, (now) => {
      typedAt.push(now);
      type(now);
    });
  }
  simulation.runUntil(endMs, () => {
    // The first key (before the flood) is echo 1; the typed keys' echoes follow.
    const shown = s.client.remote.echo - 1;
    while (echoDelays.length < typedAt.length && shown > echoDelays.length) echoDelays.push(s.clock.now - typedAt[echoDelays.length]!);
    return false;
  });
  const sorted = [...queueSamples].sort((a, b) => a - b);
  return {
    echoDelays,
    keys: typedAt.length,
    maxQueueBytes,
    medianQueueBytes: sorted[Math.floor(sorted.length / 2)]!,
    queueDrops: s.link.downCounters.dropped.queue,
    dataFrames: s.server.stats.dataFrames,
    framesHeld: s.server.stats.framesHeldForBudget,
    deliveredBytes: s.link.downCounters.deliveredBytes,
  };
}

/** ms: the flood has run for 1.5 s: the controller has found the path, and the queue it left before that is gone. */
const SETTLED_MS = 2000;
/** ms on the thin link to send `bytes` (1 Mbit/s). */
const sendingMs = (bytes: number): number => bytes / 125;

describe('congestion control on a thin link (1 Mbit/s, 64 KB buffer, 40 ms RTT, 1 % loss)', () => {
  // 8 KB screens (a wide, colourful full-screen redraw) every 5 ms: about 400 kB/s of frames at the 20 ms frame
  // interval, more than three times the link.
  const SCREEN = 8000;

  for (const seed of [1, 2, 3]) {
    it(`a flood of large screens keeps the queue within two frames and every echo within 2 RTT plus its own frame and two ahead of it (seed ${seed})`, () => {
      const run = flood({ seed, seconds: 10, screenBytes: SCREEN, profile: THIN, rttMs: RTT_MS, congestionControl: true });
      expect(run.queueDrops).toBe(0);
      expect(run.maxQueueBytes).toBeLessThan(2.5 * SCREEN);
      expect(run.medianQueueBytes).toBeLessThan(SCREEN);
      // An echo carries the newest screen (state sync): it waits behind at most two frames, then its own sending.
      expect(run.echoDelays).toHaveLength(run.keys);
      for (const delay of run.echoDelays) expect(delay).toBeLessThan(2 * RTT_MS + 3 * sendingMs(SCREEN + 500));
      // The link stays busy: at least 85 % of its 125 kB/s over the flood's 9.5 s.
      expect(run.deliveredBytes).toBeGreaterThan(0.85 * 125 * 9500);
    });
  }

  it('without it the same flood fills the 64 KB buffer (the frame pacing alone lets the queue grow to it)', () => {
    const run = flood({ seed: 1, seconds: 10, screenBytes: SCREEN, profile: THIN, rttMs: RTT_MS, congestionControl: false, typingFromMs: 1500 });
    expect(run.maxQueueBytes).toBeGreaterThan(7 * SCREEN);
    expect(Math.max(...run.echoDelays)).toBeGreaterThan(2 * RTT_MS + 3 * sendingMs(SCREEN + 500));
  });

  it('screens larger than the link carries at the frame rate (30 KB): without it echoes come over twice as late on average; with it every echo comes', () => {
    const without = flood({ seed: 1, seconds: 10, screenBytes: 30_000, profile: THIN, rttMs: RTT_MS, congestionControl: false });
    // Every frame loses fragments in the overflowing buffer; its resends share its fragments (fragment-reuse.ts), so
    // one fills the holes, most often a second or more later (before they did, no state arrived at all).
    const withIt = flood({ seed: 1, seconds: 10, screenBytes: 30_000, profile: THIN, rttMs: RTT_MS, congestionControl: true });
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    expect(without.queueDrops).toBeGreaterThan(1000);
    expect(withIt.echoDelays).toHaveLength(withIt.keys);
    expect(mean(without.echoDelays)).toBeGreaterThan(2 * mean(withIt.echoDelays));
    expect(withIt.queueDrops).toBeLessThan(10);
  });
});

describe('congestion control on unconstrained links: the same frames as without it', () => {
  const cases: Array<{ name: string; profile: LinkProfile; rttMs: number; screenBytes: number }> = [
    { name: 'loopback, 8 KB screens', profile: symmetricLink({}), rttMs: 1, screenBytes: 8000 },
    { name: '300 ms RTT, 8 KB screens', profile: symmetricLink({ delayMs: 150 }), rttMs: 300, screenBytes: 8000 },
    { name: '300 ms RTT, 10 % loss, 2 KB screens', profile: symmetricLink({ delayMs: 150, loss: 0.1 }), rttMs: 300, screenBytes: 2000 },
    { name: '100 ms RTT, 29 % loss, 2 KB screens', profile: symmetricLink({ delayMs: 50, loss: 0.29 }), rttMs: 100, screenBytes: 2000 },
  ];
  for (const { name, profile, rttMs, screenBytes } of cases) {
    it(`${name}: a flood sends as many frames, holds none, and echoes as fast`, () => {
      const options = { seed: 4, seconds: 10, screenBytes, profile, rttMs };
      const withIt = flood({ ...options, congestionControl: true });
      const without = flood({ ...options, congestionControl: false });
      expect(withIt.framesHeld).toBe(0);
      expect(withIt.dataFrames).toBe(without.dataFrames);
      expect(withIt.echoDelays).toEqual(without.echoDelays);
    });
  }
});
