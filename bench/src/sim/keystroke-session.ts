/**
 * A client and a server transport talking over an emulated link under simulated time: no sockets, no timers, no
 * sleeping. The clock jumps from one event (a key, a datagram arriving, a transport's wake-up) to the next, so a
 * minute of typing over a 300 ms, 50 %-loss link takes milliseconds and gives the same answer every run.
 *
 * The client types a trace of single-byte keys (its local state, a `KeyLog`); the server "application" echoes
 * each key the moment its transport delivers it (its local state, an `EchoCount`). Measured per key: when the
 * server first holds it, and when the client first sees its echo (the acknowledgement the user sees: the echo
 * carries the server's ack of the key, and it is what a keystroke without prediction waits for).
 */
import { Connection, SessionKey, Transport, type PeerAddress, type TransportTiming } from '@tsmosh/protocol';
import { Link, SeededRandom, deriveSeed, type LinkCounters, type LinkProfile } from '@tsmosh/netem';
import { EchoCount, KeyLog } from './states.js';

export interface KeystrokeRunOptions {
  readonly profile: LinkProfile;
  /** Seeds the link and the session key; the same seed and trace give the same result. */
  readonly seed: number;
  /** Send times (ms) of the keys, non-decreasing. */
  readonly keyTimes: readonly number[];
  readonly clientTiming: Partial<TransportTiming>;
  readonly serverTiming: Partial<TransportTiming>;
  /** What the client's connection believes the RTT is before its first sample (the bootstrap's round trip). */
  readonly initialRttMs: number;
  /** Stop this long after the last key even if some echoes never arrived (counted as unfinished). */
  readonly drainMs: number;
  /**
   * Keep running this long after the last echo, so that the acks it triggers are counted too (mosh's delayed ack
   * leaves 100 ms after the echo).
   */
  readonly settleMs: number;
}

export interface KeystrokeRunResult {
  /** Per key: ms from typing to the server holding it; undefined if it never did. */
  readonly toServerMs: ReadonlyArray<number | undefined>;
  /** Per key: ms from typing to the client seeing its echo; undefined if it never did. */
  readonly toEchoMs: ReadonlyArray<number | undefined>;
  /** Datagrams each side handed to the link (before loss), from the first key to the end of the run. */
  readonly datagrams: { readonly up: number; readonly down: number };
  readonly bytes: { readonly up: number; readonly down: number };
  readonly link: { readonly up: LinkCounters; readonly down: LinkCounters };
  /** Simulated ms the run covered. */
  readonly durationMs: number;
}

const CLIENT: PeerAddress = { host: 'client.sim', port: 40_000 };
const SERVER: PeerAddress = { host: 'server.sim', port: 60_001 };

interface InFlight {
  readonly at: number;
  readonly order: number;
  readonly toServer: boolean;
  readonly bytes: Uint8Array;
}

/**
 * A guard against a transport that keeps asking to be woken at a time that has already passed without doing
 * anything: past this many loop turns in one run the benchmark stops with an error instead of spinning. A run
 * of 2000 keys needs well under a million turns.
 */
const MAX_LOOP_TURNS = 20_000_000;

export function runKeystrokeSession(options: KeystrokeRunOptions): KeystrokeRunResult {
  const random = new SeededRandom(deriveSeed(options.seed, 100));
  const randomSource = (n: number): Uint8Array => random.nextBytes(n);
  const key = SessionKey.generate(randomSource);
  const link = new Link(options.profile, { seed: options.seed, originMs: 0 });

  const client = new Transport<KeyLog, EchoCount>({
    connection: new Connection({
      role: 'client',
      key,
      random: randomSource,
      initialSeq: 0n,
      serverAddress: SERVER,
      initialRttMs: options.initialRttMs,
    }),
    initialLocal: KeyLog.empty(),
    initialRemote: new EchoCount(0),
    timing: options.clientTiming,
  });
  const server = new Transport<EchoCount, KeyLog>({
    connection: new Connection({ role: 'server', key, random: randomSource, initialSeq: 0n }),
    initialLocal: new EchoCount(0),
    initialRemote: KeyLog.empty(),
    timing: options.serverTiming,
  });

  const keyTimes = options.keyTimes;
  const toServerMs: Array<number | undefined> = new Array(keyTimes.length).fill(undefined);
  const toEchoMs: Array<number | undefined> = new Array(keyTimes.length).fill(undefined);
  const datagrams = { up: 0, down: 0 };
  const bytes = { up: 0, down: 0 };
  const inFlight: InFlight[] = [];
  let order = 0;
  let typed = 0;
  let serverHeld = 0;
  let echoSeen = 0;
  let now = 0;

  const firstKeyAt = keyTimes[0] ?? 0;
  let endAt = (keyTimes.at(-1) ?? 0) + options.drainMs;
  let settling = false;

  const send = (fromClient: boolean, outgoing: ReadonlyArray<{ bytes: Uint8Array }>): void => {
    for (const datagram of outgoing) {
      const direction = fromClient ? link.up : link.down;
      // The connection set-up before the first key is not part of any key's cost.
      if (now < firstKeyAt) {
        // not counted
      } else if (fromClient) {
        datagrams.up++;
        bytes.up += datagram.bytes.length;
      } else {
        datagrams.down++;
        bytes.down += datagram.bytes.length;
      }
      for (const at of direction.submit(datagram.bytes.length, now)) {
        insertSorted(inFlight, { at, order: order++, toServer: fromClient, bytes: datagram.bytes });
      }
    }
  };

  for (let turn = 0; ; turn++) {
    if (turn > MAX_LOOP_TURNS) {
      throw new Error(
        `keystroke benchmark: the simulation did not advance past ${now} ms after ${MAX_LOOP_TURNS} turns; ` +
          'a transport keeps asking to be woken without doing anything (check nextWakeup)',
      );
    }
    // 1. Everything due now: arrivals, then the key, then each side's timers.
    while (inFlight.length > 0 && inFlight[0]!.at <= now) {
      const datagram = inFlight.shift()!;
      if (datagram.toServer) {
        server.receive(datagram.bytes, CLIENT, now);
        const held = server.remote.length;
        for (; serverHeld < held && serverHeld < keyTimes.length; serverHeld++) toServerMs[serverHeld] = now - keyTimes[serverHeld]!;
        // The application echoes at once; the transport's collection interval decides when the echo leaves.
        if (server.local.count !== held) server.setLocal(new EchoCount(held), now);
      } else {
        client.receive(datagram.bytes, SERVER, now);
        const echoed = client.remote.count;
        for (; echoSeen < echoed && echoSeen < keyTimes.length; echoSeen++) toEchoMs[echoSeen] = now - keyTimes[echoSeen]!;
      }
    }
    while (typed < keyTimes.length && keyTimes[typed]! <= now) {
      client.setLocal(client.local.append(0x61 + (typed % 26)), now);
      typed++;
    }
    send(true, client.tick(now));
    send(false, server.tick(now));

    // 2. Jump to the next event.
    const next = Math.min(
      inFlight[0]?.at ?? Infinity,
      keyTimes[typed] ?? Infinity,
      client.nextWakeup(now),
      server.nextWakeup(now),
    );
    if (!settling && echoSeen === keyTimes.length) {
      settling = true;
      endAt = Math.min(endAt, now + options.settleMs);
    }
    if (next > endAt) break;
    // A wake-up in the past means "now": tick again at the same instant only if something is still due.
    now = Math.max(now, next);
  }

  return {
    toServerMs,
    toEchoMs,
    datagrams,
    bytes,
    link: { up: structuredClone(link.up.counters), down: structuredClone(link.down.counters) },
    durationMs: now,
  };
}

/** Keeps arrivals sorted by time (ties in send order); arrivals are nearly in order, so insert from the back. */
function insertSorted(queue: InFlight[], item: InFlight): void {
  let i = queue.length;
  while (i > 0 && (queue[i - 1]!.at > item.at || (queue[i - 1]!.at === item.at && queue[i - 1]!.order > item.order))) i--;
  queue.splice(i, 0, item);
}
