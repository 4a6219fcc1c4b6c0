/**
 * A large paste through the real ClientSession and the real server Session under one manual clock, over the netem
 * link model (loss, a bottleneck with a queue): the client's input window (input-window.ts) must bring 200 KB
 * through, complete and in order, in a bounded simulated time. Sent as one diff (before the window), the paste was
 * ~150 datagrams in one burst: the bottleneck's queue dropped its tail, 10 % loss took one of them on every try,
 * and it never arrived. No socket, no sleep: time moves only when the test moves it.
 */
import { describe, expect, it } from 'vitest';
import { SessionKey } from '@tsmosh/protocol';
import { Link, SeededRandom, parseLinkSpec } from '@tsmosh/netem';
import { connect } from '@tsmosh/client';
import { Session } from '@tsmosh/server';
import { ScreenPty } from '../packages/server/src/screen-pty.test-helpers.js';
import { CLIENT, SERVER, Scheduler, WALL_CLOCK_ORIGIN_MS, manualClientRuntime } from './helpers/manual-clock.js';

/** A program that reads everything and shows how much it has read on its first row (its echo, the ack's carrier). */
class RecordingPty extends ScreenPty {
  readonly pid = 4242;
  readonly chunks: Uint8Array[] = [];
  received = 0;
  constructor(
    private readonly scheduler: Scheduler,
    /** Shows nothing (a program with echo off): what acknowledges the input is then the daemon's ack alone. */
    private readonly silent = false,
  ) {
    super(80, 24);
  }
  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
    this.received += bytes.length;
    const shown = this.received;
    if (!this.silent) this.scheduler.set(() => this.announce(this.withFirstRow(`read ${shown}`)), 1);
  }
  get bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

function setUp(linkSpec: string, seed: number, silent = false) {
  const scheduler = new Scheduler();
  const random = new SeededRandom(seed);
  const key = SessionKey.generate((length) => random.nextBytes(length));
  const pty = new RecordingPty(scheduler, silent);
  /** When the daemon sent each datagram. */
  const downSentAt: number[] = [];
  const link = new Link(parseLinkSpec(linkSpec), { seed });
  const session = new Session({
    key,
    pty,
    send: (datagram) => {
      downSentAt.push(scheduler.now);
      for (const at of link.down.submit(datagram.bytes.length, scheduler.now)) scheduler.set(() => deliverToClient(datagram.bytes, SERVER), at - scheduler.now);
    },
    clock: () => scheduler.now,
    timer: { set: (callback, delayMs) => scheduler.set(callback, delayMs), clear: (handle) => scheduler.clear(handle) },
    random: (length) => random.nextBytes(length),
    wallClockMs: () => WALL_CLOCK_ORIGIN_MS + scheduler.now,
  });
  const { runtime, deliverToClient } = manualClientRuntime(scheduler, (length) => random.nextBytes(length), (bytes) => {
    for (const at of link.up.submit(bytes.length, scheduler.now)) scheduler.set(() => session.receive(bytes, CLIENT), at - scheduler.now);
  });
  const delayMs = link.up.profile.delayMs;
  const client = connect({ host: SERVER.host, port: SERVER.port, key: key.toString(), cols: 80, rows: 24, initialRttMs: Math.max(1, 2 * delayMs), runtime });
  return { scheduler, pty, link, client, session, downSentAt };
}

/** `bytes` of text as a terminal pastes it: lines of 0-120 characters (some of two and three UTF-8 bytes), CR-ended. */
function pasteText(bytes: number, seed: number): Uint8Array {
  const random = new SeededRandom(seed);
  const alphabet = [...'abcdefghij klmnopqrstuvwxyz0123456789éü漢'];
  const out: string[] = [];
  let length = 0;
  while (length < bytes) {
    let line = '';
    const chars = random.nextBytes(1)[0]! % 121;
    for (let i = 0; i < chars; i++) line += alphabet[random.nextBytes(1)[0]! % alphabet.length];
    out.push(line + '\r');
    length += Buffer.byteLength(line) + 1;
  }
  return new TextEncoder().encode(out.join(''));
}

/** Splits `bytes` as a terminal's reads would: up to 64 KB each. */
function* reads(bytes: Uint8Array, size = 65_536): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('a 200 KB paste through the input window (manual clock)', () => {
  // Each link: what the simulated time may not exceed (ms). Generous bounds (a few times what the window takes), far
  // below the 10 s heartbeat scale at which the unwindowed paste gave up: without the window none of these arrive.
  const cases = [
    { spec: 'delay=50ms,loss=10%', boundMs: 60_000 },
    { spec: 'delay=50ms,rate=2mbit,queue=64kB', boundMs: 20_000 },
    { spec: 'delay=150ms,loss=10%,rate=2mbit,queue=64kB', boundMs: 120_000 },
    // Heavier loss: the window shrinks while frames of the larger one are in flight (which must not be taken back).
    { spec: 'delay=100ms,jitter=30ms,loss=20%', boundMs: 240_000 },
    { spec: 'delay=20ms,burst=10%/4', boundMs: 120_000 },
  ];
  for (const { spec, boundMs } of cases) {
    it(`arrives complete and in order over ${spec}`, async () => {
      const world = setUp(spec, 11);
      const { scheduler, pty, client } = world;
      await scheduler.advanceTo(2000);
      const text = pasteText(200_000, 5);
      const start = scheduler.now;
      for (const read of reads(text)) client.write(read);
      // Then a key typed after it: it must come after the paste, not in the middle.
      client.write('\x03');
      const total = text.length + 1;
      for (let t = start; t < start + boundMs && pty.received < total; t += 1000) {
        await scheduler.advanceTo(t + 1000, () => pty.received >= total);
        if (process.env.PASTE_DEBUG) console.log(spec, scheduler.now - start, pty.received, JSON.stringify(world.link.up.counters), client.transportStats?.resends);
      }
      const elapsed = scheduler.now - start;
      expect(pty.received, `read ${pty.received} of ${total} bytes by ${elapsed} ms`).toBe(total);
      expect(Buffer.compare(pty.bytes, Buffer.concat([text, Buffer.from('\x03')]))).toBe(0);
      expect(elapsed).toBeLessThan(boundMs);
      // The key after the paste went in its own write (its edge matters), the paste's chunks in writes of their own.
      expect(pty.chunks[pty.chunks.length - 1]).toEqual(new Uint8Array([0x03]));
      const closed = client.close();
      await scheduler.advanceTo(scheduler.now + 5000);
      expect((await closed).reason).toBe('user');
    }, 120_000);
  }

  it('has a window the program does not echo acknowledged at once, not after the daemon\'s 100 ms ack delay', async () => {
    const world = setUp('delay=50ms', 3, true);
    const { scheduler, pty, client, downSentAt } = world;
    await scheduler.advanceTo(2000);
    // One window's worth (under the first window, 4 KiB), in two datagrams: under the daemon's ack-after-bytes (3000).
    const text = pasteText(2000, 9);
    const start = scheduler.now;
    client.write(text);
    await scheduler.advanceTo(start + 50, () => pty.received >= text.length);
    expect(pty.received).toBe(text.length);
    const arrivedAt = scheduler.now;
    await scheduler.advanceTo(start + 400);
    const answer = downSentAt.find((at) => at >= arrivedAt);
    // The ack leaves in the same step as the state arrives (the pty write and the ack are one step of the session).
    expect(answer).toBe(arrivedAt);
    const closed = client.close();
    await scheduler.advanceTo(scheduler.now + 5000);
    expect((await closed).reason).toBe('user');
  });
});
