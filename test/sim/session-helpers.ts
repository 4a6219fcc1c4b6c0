import { directionProfile, type LinkProfile } from '@tsmosh/netem';
import { ByteLogState, CounterState, EchoingServer, Simulation, createSimulatedSession, seededRandom } from '@tsmosh/testkit';
import type { TransportTiming } from '@tsmosh/protocol';

/** One direction of a bad path: the given loss with delay, jitter, reordering and duplication on top. */
export function impairedLink(loss: number): LinkProfile {
  const direction = directionProfile({ delayMs: 40, jitterMs: 10, loss, reorder: 0.05, reorderDelayMs: 30, duplicate: 0.02 });
  return { up: direction, down: direction };
}

export interface TypingSessionOptions {
  readonly seed: number;
  readonly profile: LinkProfile;
  readonly keystrokes: number;
  /** ms over which the keystrokes are spread (random gaps, seeded). */
  readonly typingMs: number;
  readonly clientTiming?: Partial<TransportTiming>;
  readonly serverTiming?: Partial<TransportTiming>;
  /** The RTT both ends start from (ms), as the SSH login measures it; default 80. */
  readonly initialRttMs?: number;
}

/**
 * A client typing into a server that "echoes": the server's screen (a counter) shows how many input bytes it has
 * consumed. The server consumes input as a real shell does, from the remote input stream's new bytes, and records
 * them so the test can check exactly-once, in-order delivery.
 */
export function typingSession(options: TypingSessionOptions) {
  const s = createSimulatedSession({
    seed: options.seed,
    profile: options.profile,
    initialRttMs: options.initialRttMs ?? 80,
    clientInitial: ByteLogState.empty(),
    serverInitial: new CounterState(0),
    // The client collects for 1 ms: a keystroke is complete when typed.
    clientTiming: { collectionIntervalMs: 1, ...options.clientTiming },
    serverTiming: options.serverTiming,
  });
  const random = seededRandom(options.seed + 1000);
  let typed = '';
  const consumed: number[] = [];
  // The server's side of the shell loop: feed new input to the "pty", show the count on the screen.
  const serverEndpoint = new EchoingServer(s.server, (bytes) => consumed.push(...bytes));
  // Drive the server through the consumer rather than the bare transport.
  const simulation = new Simulation({
    clock: s.clock,
    link: s.link,
    client: s.client,
    server: serverEndpoint,
  });

  let at = 0;
  for (let i = 0; i < options.keystrokes; i++) {
    at += 1 + random.int(Math.max(1, Math.floor((2 * options.typingMs) / options.keystrokes)));
    const ch = String.fromCharCode(33 + random.int(94));
    typed += ch;
    simulation.at(at, (now) => s.client.setLocal(s.client.local.append(new TextEncoder().encode(ch)), now, { awaited: true }));
  }
  return {
    ...s,
    simulation,
    get typed() {
      return typed;
    },
    get delivered() {
      return new TextDecoder().decode(Uint8Array.from(consumed));
    },
    get inputWentBack() {
      return serverEndpoint.inputWentBack;
    },
    lastKeystrokeAt: at,
    /** Both sides hold the other's newest state. */
    converged: () =>
      s.server.remote.equals(s.client.local) && s.client.remote.equals(s.server.local) && s.client.remote.value === s.client.local.end,
  };
}
