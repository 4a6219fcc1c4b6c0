/**
 * A screen state larger than one datagram over a lossy link, under simulated time (@tsmosh/testkit's session: real
 * Connections and Transports with the daemon's and the client's timing, netem's link model, a manual clock): how
 * long until the client holds it. The state is an incompressible blob (BlobState), the worst screen: every cell
 * changed, nothing for DEFLATE to take, so `bytes / 1205` fragments (48 000 bytes: 40, the session-24 finding's
 * 250×70 screen of random colours). Deterministic: the same seed gives the same answer.
 */
import { symmetricLink } from '@tsmosh/netem';
import { BlobState, ByteLogState, createSimulatedSession, seededRandom } from '@tsmosh/testkit';

export interface LargeStateRunOptions {
  readonly loss: number;
  readonly rttMs: number;
  readonly stateBytes: number;
  readonly seed: number;
  /** ms between redraws (a new state each time), or undefined for one state. */
  readonly redrawEveryMs?: number;
  /** ms of simulated time the run lasts after the first state is set. */
  readonly durationMs: number;
}

export interface LargeStateRunResult {
  /** Per state drawn: ms from being set until the client held it, or undefined if it never did (replaced first, or the run ended). */
  readonly delays: ReadonlyArray<number | undefined>;
  /** Datagrams the daemon sent, and of those the ones that carried a fragment of a resend reusing its first try's ID. */
  readonly serverDatagrams: number;
  readonly reusedInstructions: number;
}

const START_MS = 1000;

export function runLargeState(options: LargeStateRunOptions): LargeStateRunResult {
  const s = createSimulatedSession({
    seed: options.seed,
    profile: symmetricLink({ delayMs: options.rttMs / 2, loss: options.loss }),
    initialRttMs: options.rttMs,
    clientInitial: ByteLogState.empty(),
    serverInitial: new BlobState(new Uint8Array(0)),
  });
  const random = seededRandom(options.seed + 7);
  const drawn: Array<{ state: BlobState; at: number }> = [];
  const end = START_MS + options.durationMs;
  const draw = (now: number): void => {
    const state = new BlobState(random.bytes(options.stateBytes));
    drawn.push({ state, at: now });
    s.server.setLocal(state, now);
  };
  s.simulation.at(START_MS, draw);
  if (options.redrawEveryMs !== undefined) for (let at = START_MS + options.redrawEveryMs; at < end; at += options.redrawEveryMs) s.simulation.at(at, draw);
  const heldAt = new Map<number, number>();
  s.simulation.runUntil(end, () => {
    // Only the newest states can arrive: look from the end.
    for (let i = drawn.length - 1; i >= 0 && i >= drawn.length - 3; i--) {
      if (!heldAt.has(i) && drawn[i]!.state.equals(s.client.remote)) heldAt.set(i, s.clock.now);
    }
    return options.redrawEveryMs === undefined && heldAt.has(0);
  });
  const stats = s.server.connection.stats as { datagramsOut: number; instructionsReused?: number };
  return {
    delays: drawn.map((d, i) => (heldAt.has(i) ? heldAt.get(i)! - d.at : undefined)),
    serverDatagrams: stats.datagramsOut,
    reusedInstructions: stats.instructionsReused ?? 0,
  };
}
