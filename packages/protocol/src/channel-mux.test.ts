import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Link, SeededRandom, symmetricLink, type DirectionProfile } from '@tsmosh/netem';
import { decodeChannelPacket, encodeChannelPacket, encodedFrameLength, MAX_ACK_RANGES, type ChannelFrame, type ChannelPacket, type ChannelTarget } from './channel-codec.js';
import { ChannelMux, DEFAULT_CHANNEL_LIMITS, MAX_PACKETS_PER_POLL, type ChannelLimits, type MuxEvent } from './channel-mux.js';

const PACKET_BYTES = 1200;

// ---------- codec ----------

const varint = fc.integer({ min: 0, max: 2 ** 40 });
const port = fc.integer({ min: 0, max: 65535 });
const host = fc.string({ maxLength: 60 });
const target: fc.Arbitrary<ChannelTarget> = fc.oneof(
  fc.constant({ kind: 'agent' } as const),
  fc.record({ kind: fc.constant('direct-tcp' as const), host, port, originHost: host, originPort: port }),
  fc.record({ kind: fc.constant('forwarded-tcp' as const), host, port, originHost: host, originPort: port }),
);
/** Newest-first disjoint ranges with gaps, as the receiver keeps them. */
const ackFrame: fc.Arbitrary<ChannelFrame> = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 50 })), { minLength: 1, maxLength: MAX_ACK_RANGES + 1 })
  .chain((pieces) =>
    fc.integer({ min: 0, max: 1000 }).map((delay) => {
      // Build ascending ranges from (length, gap ≥ 1) pieces, then list them newest first.
      let next = 0;
      const ranges = pieces.map(([length, gap]) => {
        const first = next;
        const last = first + length;
        next = last + gap + 1;
        return { first, last };
      });
      ranges.reverse();
      return { type: 'ack' as const, largest: ranges[0]!.last, ackDelayMs: delay, ranges };
    }),
  );
const frame: fc.Arbitrary<ChannelFrame> = fc.oneof(
  ackFrame,
  fc.record({ type: fc.constant('open' as const), channel: varint, target }),
  fc.record({ type: fc.constant('accept' as const), channel: varint }),
  fc.record({ type: fc.constant('close' as const), channel: varint, reason: fc.string({ maxLength: 100 }) }),
  fc.record({ type: fc.constant('data' as const), channel: varint, offset: varint, fin: fc.boolean(), data: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ type: fc.constant('credit' as const), channel: varint, maxOffset: varint }),
  fc.record({ type: fc.constant('message' as const), text: fc.string({ maxLength: 200 }) }),
);

describe('channel packet codec', () => {
  it('round-trips every frame kind', () => {
    fc.assert(
      fc.property(varint, fc.array(frame, { maxLength: 6 }), (packetNumber, frames) => {
        const packet: ChannelPacket = { packetNumber, frames };
        expect(decodeChannelPacket(encodeChannelPacket(packet))).toEqual(packet);
      }),
    );
  });

  it('refuses truncations, unknown frame types and flag bytes other than 0 or 1, never anything else', () => {
    const bytes = encodeChannelPacket({ packetNumber: 7, frames: [{ type: 'data', channel: 2, offset: 10, fin: true, data: new Uint8Array([1, 2, 3]) }] });
    for (let cut = 2; cut < bytes.length; cut++) expect(() => decodeChannelPacket(bytes.subarray(0, cut))).toThrow(RangeError);
    const badFin = bytes.slice();
    badFin[4] = 2;
    expect(() => decodeChannelPacket(badFin)).toThrow(/fin is 2/);
    expect(() => decodeChannelPacket(new Uint8Array([0, 0x7f]))).toThrow(/frame type 0x7f/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        try {
          decodeChannelPacket(junk);
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
        }
      }),
    );
  });

  it('refuses an agent OPEN that carries an address, and a port above 65535', () => {
    const open = encodeChannelPacket({ packetNumber: 0, frames: [{ type: 'open', channel: 1, target: { kind: 'direct-tcp', host: 'h', port: 1, originHost: '', originPort: 0 } }] });
    const asAgent = open.slice();
    asAgent[3] = 1; // kind byte → agent, with host "h" still there
    expect(() => decodeChannelPacket(asAgent)).toThrow(/agent OPEN carries no address/);
    const bigPort = encodeChannelPacket({ packetNumber: 0, frames: [{ type: 'credit', channel: 1, maxOffset: 70000 }] });
    expect(decodeChannelPacket(bigPort).frames[0]).toEqual({ type: 'credit', channel: 1, maxOffset: 70000 });
  });
});

// ---------- the mux over an emulated link, under a manual clock ----------

interface Side {
  readonly mux: ChannelMux;
  readonly received: Map<number, Uint8Array[]>;
  readonly events: MuxEvent[];
  /** Consume delivered data at once (a socket that takes everything). */
  autoConsume: boolean;
}

class Pair {
  now = 0;
  readonly client: Side;
  readonly server: Side;
  readonly link: Link;
  /** In-flight packets: arrival time, destination, bytes. */
  private readonly inFlight: Array<{ at: number; to: Side; bytes: Uint8Array }> = [];
  sentDatagrams = 0;

  constructor(profile: DirectionProfile, seed = 1, limits?: Partial<ChannelLimits>) {
    this.link = new Link({ up: profile, down: profile }, { seed });
    const side = (role: 'client' | 'server'): Side => ({ mux: new ChannelMux({ role, maxPacketBytes: PACKET_BYTES, initialRttMs: 100, limits }), received: new Map(), events: [], autoConsume: true });
    this.client = side('client');
    this.server = side('server');
  }

  private handle(side: Side, events: MuxEvent[]): void {
    for (const event of events) {
      side.events.push(event);
      if (event.type === 'data') {
        const list = side.received.get(event.channel) ?? [];
        list.push(event.data);
        side.received.set(event.channel, list);
        if (side.autoConsume) side.mux.consumed(event.channel, event.data.length);
      }
    }
  }

  private flush(from: Side, to: Side, direction: 'up' | 'down'): void {
    for (const bytes of from.mux.poll(this.now)) {
      this.sentDatagrams++;
      for (const at of this.link[direction].submit(bytes.length + 47, this.now)) this.inFlight.push({ at, to, bytes });
    }
  }

  /** Runs until `until` (ms) or until `done` holds, stepping to the next event each time. */
  run(untilMs: number, done: () => boolean = () => false): void {
    for (let steps = 0; steps < 2_000_000; steps++) {
      this.flush(this.client, this.server, 'up');
      this.flush(this.server, this.client, 'down');
      if (done()) return;
      this.inFlight.sort((a, b) => a.at - b.at);
      const wakeups = [this.client.mux.nextWakeup(this.now), this.server.mux.nextWakeup(this.now), this.inFlight[0]?.at].filter((t): t is number => t !== undefined);
      const next = Math.max(this.now, Math.min(...wakeups));
      if (!Number.isFinite(next) || next > untilMs) {
        this.now = untilMs;
        return;
      }
      // A mux that asks to be polled now again (it hit the per-poll cap) still sees time move on by a tick.
      this.now = next === this.now && this.inFlight[0]?.at !== this.now ? next + 0.25 : next;
      while (this.inFlight.length > 0 && this.inFlight[0]!.at <= this.now) {
        const packet = this.inFlight.shift()!;
        this.handle(packet.to, packet.to.mux.receive(packet.bytes, this.now));
      }
    }
    throw new Error('simulation did not settle');
  }
}

function pattern(length: number, seed: number): Uint8Array {
  const random = new SeededRandom(seed);
  return random.nextBytes(length);
}

function joined(chunks: Uint8Array[] | undefined): Uint8Array {
  const list = chunks ?? [];
  const out = new Uint8Array(list.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of list) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Compares large byte arrays fast (a deep equality over megabytes takes seconds) and says where they differ. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected)) return;
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  expect.fail(`${actual.length} bytes received, ${expected.length} expected; first difference at byte ${at}`);
}

const lossy = (loss: number, delayMs = 50): DirectionProfile => symmetricLink({ delayMs, loss }).up;

/** Opens a client channel, has the server accept it, and writes `payload` both ways; ends both halves. */
function transfer(pair: Pair, payload: Uint8Array, reply: Uint8Array): { channel: number; finished: () => boolean } {
  const channel = pair.client.mux.open({ kind: 'direct-tcp', host: 'localhost', port: 80, originHost: '127.0.0.1', originPort: 5555 });
  pair.run(pair.now + 10_000, () => pair.server.events.some((e) => e.type === 'open'));
  expect(pair.server.events.find((e) => e.type === 'open')).toMatchObject({ channel, target: { kind: 'direct-tcp', port: 80 } });
  pair.server.mux.accept(channel);
  pair.server.mux.write(channel, reply);
  pair.server.mux.end(channel);
  pair.run(pair.now + 10_000, () => pair.client.events.some((e) => e.type === 'accepted'));
  pair.client.mux.write(channel, payload);
  pair.client.mux.end(channel);
  return {
    channel,
    finished: () => pair.client.events.some((e) => e.type === 'closed') && pair.server.events.some((e) => e.type === 'closed'),
  };
}

describe('ChannelMux', () => {
  it('moves a stream each way intact and in order on a clean link, then retires the channel on both ends', () => {
    const pair = new Pair(lossy(0, 10));
    const up = pattern(300_000, 1);
    const down = pattern(50_000, 2);
    const { channel, finished } = transfer(pair, up, down);
    pair.run(60_000, finished);
    expectSameBytes(joined(pair.server.received.get(channel)), up);
    expectSameBytes(joined(pair.client.received.get(channel)), down);
    expect(pair.server.events.filter((e) => e.type === 'end')).toHaveLength(1);
    expect(pair.client.mux.channelCount).toBe(0);
    expect(pair.server.mux.channelCount).toBe(0);
    expect(pair.client.mux.stats.packetsLost).toBe(0);
  });

  for (const loss of [0.1, 0.29]) {
    it(`moves 2 MB intact through ${loss * 100} % loss each way with reordering, and the loss is repaired, not fatal`, () => {
      const pair = new Pair({ ...lossy(loss, 50), jitterMs: 10, reorder: 0.02 }, 7);
      const up = pattern(2_000_000, 3);
      const { channel, finished } = transfer(pair, up, new Uint8Array(0));
      pair.run(600_000, finished);
      expectSameBytes(joined(pair.server.received.get(channel)), up);
      expect(pair.client.mux.stats.packetsLost).toBeGreaterThan(0);
      expect(pair.client.mux.stats.dataBytesRetransmitted).toBeGreaterThan(0);
      expect(pair.client.mux.bytesInFlight).toBe(0);
    });
  }

  it('stops at the receiver window when the consumer stops, and resumes when it consumes', () => {
    const limits = { windowBytes: 200_000, initialWindowBytes: 50_000, sendBufferBytes: 100_000 };
    const pair = new Pair(lossy(0, 10), 1, limits);
    pair.server.autoConsume = false;
    const channel = pair.client.mux.open({ kind: 'agent' });
    pair.run(1_000, () => pair.server.events.some((e) => e.type === 'open'));
    pair.server.mux.accept(channel);
    pair.run(2_000);
    const accepted = pair.client.mux.write(channel, pattern(1_000_000, 4));
    expect(accepted).toBe(false); // over the send buffer: the source must pause
    pair.run(20_000);
    // Nothing was consumed, so only the initial window crossed.
    expect(joined(pair.server.received.get(channel)).length).toBe(50_000);
    pair.server.mux.consumed(channel, 50_000);
    pair.run(40_000);
    const delivered = joined(pair.server.received.get(channel)).length;
    expect(delivered).toBe(250_000); // consumed 50 000 + a window of 200 000
    pair.server.autoConsume = true;
    pair.server.mux.consumed(channel, delivered - 50_000);
    pair.run(200_000, () => joined(pair.server.received.get(channel)).length === 1_000_000);
    expectSameBytes(joined(pair.server.received.get(channel)), pattern(1_000_000, 4));
    expect(pair.client.events.some((e) => e.type === 'writable' && e.channel === channel)).toBe(true);
  });

  it('refuses with a reason, and the opener hears it; a reset mid-stream reaches the other side', () => {
    const pair = new Pair(lossy(0.1), 3);
    const refused = pair.client.mux.open({ kind: 'direct-tcp', host: 'nowhere', port: 1, originHost: '', originPort: 0 });
    pair.run(10_000, () => pair.server.events.some((e) => e.type === 'open'));
    pair.server.mux.close(refused, 'connect to nowhere:1 failed: ENOTFOUND');
    pair.run(20_000, () => pair.client.events.some((e) => e.type === 'closed'));
    expect(pair.client.events.find((e) => e.type === 'closed')).toEqual({ type: 'closed', channel: refused, reason: 'connect to nowhere:1 failed: ENOTFOUND' });

    const opened = pair.server.mux.open({ kind: 'agent' });
    pair.run(30_000, () => pair.client.events.some((e) => e.type === 'open'));
    pair.client.mux.accept(opened);
    pair.client.mux.write(opened, pattern(5000, 1));
    pair.client.mux.close(opened, 'the local agent went away');
    pair.run(40_000, () => pair.server.events.some((e) => e.type === 'closed' && e.channel === opened));
    expect(pair.server.events.find((e) => e.type === 'closed' && e.channel === opened)).toMatchObject({ reason: 'the local agent went away' });
    expect(pair.server.mux.channelCount).toBe(0);
  });

  it('delivers messages reliably through loss', () => {
    const pair = new Pair(lossy(0.3), 5);
    for (let i = 0; i < 20; i++) pair.client.mux.sendMessage(`{"n":${i}}`);
    pair.run(30_000, () => pair.server.events.filter((e) => e.type === 'message').length === 20);
    const texts = pair.server.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));
    expect(new Set(texts)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `{"n":${i}}`)));
  });

  it('refuses OPENs beyond the channel limit and counts the violation', () => {
    const pair = new Pair(lossy(0, 5), 1, { maxChannels: 2 });
    const server = new ChannelMux({ role: 'server', maxPacketBytes: PACKET_BYTES, limits: { maxChannels: 2 } });
    const opens = [0, 2, 4].map((channel) => ({ type: 'open', channel, target: { kind: 'agent' } }) as const);
    const events = server.receive(encodeChannelPacket({ packetNumber: 0, frames: opens }), 0);
    expect(events.filter((e) => e.type === 'open')).toHaveLength(2);
    expect(server.stats.protocolViolations).toBe(1);
    void pair;
  });

  it('closes a channel whose peer sends past its credit, and drops junk packets without throwing', () => {
    const server = new ChannelMux({ role: 'server', maxPacketBytes: PACKET_BYTES });
    server.receive(encodeChannelPacket({ packetNumber: 0, frames: [{ type: 'open', channel: 0, target: { kind: 'agent' } }] }), 0);
    server.accept(0);
    const beyond = DEFAULT_CHANNEL_LIMITS.initialWindowBytes;
    const events = server.receive(encodeChannelPacket({ packetNumber: 1, frames: [{ type: 'data', channel: 0, offset: beyond, fin: false, data: new Uint8Array(10) }] }), 1);
    expect(events).toEqual([{ type: 'closed', channel: 0, reason: 'protocol violation: data beyond credit' }]);
    expect(server.receive(new Uint8Array([0xff, 0xff]), 2)).toEqual([]);
    expect(server.stats.malformedPackets).toBe(1);
    // An ACK for a packet never sent is ignored and counted.
    server.receive(encodeChannelPacket({ packetNumber: 2, frames: [{ type: 'ack', largest: 99, ackDelayMs: 0, ranges: [{ first: 99, last: 99 }] }] }), 3);
    expect(server.stats.protocolViolations).toBe(2);
  });

  it('survives a 5 s outage: probes back off, stay small, and the stream finishes after the link returns', () => {
    const pair = new Pair(lossy(0, 50), 9);
    const up = pattern(3_000_000, 6);
    const { channel, finished } = transfer(pair, up, new Uint8Array(0));
    pair.run(pair.now + 300);
    pair.link.setBlackout(true);
    const sentBefore = pair.sentDatagrams;
    pair.run(pair.now + 5_000);
    const probes = pair.sentDatagrams - sentBefore;
    // A full window would be hundreds of datagrams per timeout; probes are a few per backed-off timeout.
    expect(pair.client.mux.stats.probeTimeouts).toBeGreaterThanOrEqual(3);
    expect(probes).toBeLessThan(60);
    pair.link.setBlackout(false);
    pair.run(pair.now + 120_000, finished);
    expectSameBytes(joined(pair.server.received.get(channel)), up);
  });

  it('keeps in flight near twice the bandwidth-delay product on a rate-limited link, so its queue stays short', () => {
    // 1 Mbit/s, 50 ms each way, a 64 kB queue: a window-limited sender would fill the queue and lose from it.
    const profile: DirectionProfile = { ...lossy(0.01, 50), rateBytesPerSecond: 125_000, queue: { bytes: 64_000 } };
    const pair = new Pair(profile, 11);
    const up = pattern(1_000_000, 8);
    const { channel, finished } = transfer(pair, up, new Uint8Array(0));
    pair.run(pair.now + 200_000, finished);
    expectSameBytes(joined(pair.server.received.get(channel)), up);
    // BDP = 125 kB/s × 0.1 s = 12.5 kB; the window settles within a few BDPs, far below the queue.
    expect(pair.client.mux.congestionWindow).toBeLessThan(50_000);
    expect(pair.link.up.counters.dropped?.queue ?? 0).toBeLessThan(20);
  });

  it('sends the same packets whether or not it was polled while idle', () => {
    // Polled idle at every pump (nothing open, queued or in flight), the mux must end as one never polled: the same
    // packets for the same channel and data afterwards, whatever the idle times.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 20 }), fc.integer({ min: 1, max: 60_000 }), (idlePolls, size) => {
        const run = (pollWhileIdle: boolean): Uint8Array[][] => {
          const client = new ChannelMux({ role: 'client', maxPacketBytes: PACKET_BYTES });
          const server = new ChannelMux({ role: 'server', maxPacketBytes: PACKET_BYTES });
          let now = 0;
          for (const gap of idlePolls) {
            now += gap;
            if (pollWhileIdle) {
              expect(client.poll(now)).toEqual([]);
              expect(client.nextWakeup(now)).toBeUndefined();
            }
          }
          const channel = client.open({ kind: 'agent' });
          const out: Uint8Array[][] = [client.poll(now)];
          for (const bytes of out[0]!) server.receive(bytes, now);
          server.accept(channel);
          for (const bytes of server.poll(now + 1)) client.receive(bytes, now + 2);
          client.write(channel, pattern(size, 3));
          for (let step = 3; step < 40; step += 5) out.push(client.poll(now + step));
          return out;
        };
        expect(run(true)).toEqual(run(false));
      }),
      { numRuns: 60 },
    );
  });

  it('returns at most MAX_PACKETS_PER_POLL packets per poll and asks to be polled again at once', () => {
    const client = new ChannelMux({ role: 'client', maxPacketBytes: PACKET_BYTES, limits: { initialWindowBytes: 1_000_000 } });
    const server = new ChannelMux({ role: 'server', maxPacketBytes: PACKET_BYTES, limits: { initialWindowBytes: 1_000_000 } });
    const channel = client.open({ kind: 'agent' });
    for (const bytes of client.poll(0)) server.receive(bytes, 0);
    server.accept(channel);
    for (const bytes of server.poll(0)) client.receive(bytes, 1);
    client.write(channel, pattern(200_000, 1));
    // The initial window is 16 KiB in flight: 14 packets, then it waits for acknowledgements.
    const first = client.poll(2);
    expect(first.length).toBeGreaterThan(5);
    expect(first.length).toBeLessThanOrEqual(MAX_PACKETS_PER_POLL);
    expect(client.bytesInFlight).toBeLessThanOrEqual(client.congestionWindow);
  });
});

describe('encodedFrameLength', () => {
  it('measures every frame as the encoder writes it (DATA frames without writing their bytes)', () => {
    fc.assert(
      fc.property(frame, (f) => {
        expect(encodedFrameLength(f)).toBe(encodeChannelPacket({ packetNumber: 0, frames: [f] }).length - 1);
      }),
    );
  });
});
