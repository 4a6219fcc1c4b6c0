/**
 * A client and a server transport talking over an emulated link under simulated time: no sockets, no timers, no
 * sleeping. The clock jumps from one event (a key, a datagram arriving, a transport's wake-up) to the next, so a
 * minute of typing over a 300 ms, 50 %-loss link takes milliseconds and gives the same answer every run.
 *
 * It is @tsmosh/testkit's simulated session (real Connections and Transports, netem's link model, its Simulation
 * loop): the client types a trace of single-byte keys into its input log (a `ByteLogState`); the server's
 * `EchoingServer` echoes each key the moment its transport delivers it (a `CounterState` screen). Measured per key: when the
 * server first holds it, and when the client first sees its echo (the acknowledgement the user sees: the echo
 * carries the server's ack of the key, and it is what a keystroke without prediction waits for).
 */
import type { PeerAddress, TransportTiming } from '@tsmosh/protocol';
import type { LinkCounters, LinkProfile } from '@tsmosh/netem';
import { ByteLogState, CounterState, EchoingServer, Simulation, createSimulatedSession } from '@tsmosh/testkit';

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

export function runKeystrokeSession(options: KeystrokeRunOptions): KeystrokeRunResult {
  const keyTimes = options.keyTimes;
  const session = createSimulatedSession({
    seed: options.seed,
    profile: options.profile,
    initialRttMs: options.initialRttMs,
    clientInitial: ByteLogState.empty(),
    serverInitial: new CounterState(0),
    clientTiming: options.clientTiming,
    serverTiming: options.serverTiming,
  });
  const toServerMs: Array<number | undefined> = new Array(keyTimes.length).fill(undefined);
  const toEchoMs: Array<number | undefined> = new Array(keyTimes.length).fill(undefined);
  let serverHeld = 0;
  let echoSeen = 0;
  // The "program" echoes each key the moment the server's transport delivers it (EchoingServer).
  const server = new EchoingServer(session.server, (_bytes, now) => {
    for (; serverHeld < session.server.remote.end && serverHeld < keyTimes.length; serverHeld++) toServerMs[serverHeld] = now - keyTimes[serverHeld]!;
  });
  const client = {
    tick: (now: number) => session.client.tick(now),
    nextWakeup: (now: number) => session.client.nextWakeup(now),
    receive: (bytes: Uint8Array, from: PeerAddress, now: number) => {
      session.client.receive(bytes, from, now);
      for (; echoSeen < session.client.remote.value && echoSeen < keyTimes.length; echoSeen++) toEchoMs[echoSeen] = now - keyTimes[echoSeen]!;
    },
  };
  const simulation = new Simulation({ clock: session.clock, link: session.link, client, server });

  // The connection set-up before the first key is not part of any key's cost: counted from the first key's step on.
  const sentBeforeFirstKey = { up: 0, down: 0, upBytes: 0, downBytes: 0 };
  // Keys are scheduled one at a time (each schedules the next), so the simulation holds one pending key, not all.
  const typeKey = (index: number): void => {
    simulation.at(keyTimes[index]!, (now) => {
      if (index === 0) {
        const { client: up, server: down } = simulation.counters;
        Object.assign(sentBeforeFirstKey, { up: up.datagramsSent, down: down.datagramsSent, upBytes: up.bytesSent, downBytes: down.bytesSent });
      }
      // A typed key, awaited as the client's keys are (client session.ts pushInput).
      session.client.setLocal(session.client.local.append(Uint8Array.of(0x61 + (index % 26))), now, { awaited: true });
      if (index + 1 < keyTimes.length) typeKey(index + 1);
    });
  };
  if (keyTimes.length > 0) typeKey(0);

  const lastKeyAt = keyTimes.at(-1) ?? 0;
  let end = simulation.runUntil(lastKeyAt + options.drainMs, () => echoSeen === keyTimes.length);
  // Every echo seen: keep going a while so the acks the last echo causes are counted too.
  if (echoSeen === keyTimes.length) end = simulation.runUntil(Math.min(end + options.settleMs, lastKeyAt + options.drainMs));

  const { client: up, server: down } = simulation.counters;
  return {
    toServerMs,
    toEchoMs,
    datagrams: { up: up.datagramsSent - sentBeforeFirstKey.up, down: down.datagramsSent - sentBeforeFirstKey.down },
    bytes: { up: up.bytesSent - sentBeforeFirstKey.upBytes, down: down.bytesSent - sentBeforeFirstKey.downBytes },
    link: { up: structuredClone(session.link.upCounters), down: structuredClone(session.link.downCounters) },
    durationMs: end,
  };
}
