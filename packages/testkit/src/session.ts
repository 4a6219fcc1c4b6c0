import type { LinkProfile } from '@tsmosh/netem';
import { Connection, SessionKey, Transport, TSMOSH_CLIENT_TIMING, TSMOSH_SERVER_TIMING, type SyncState, type TransportTiming } from '@tsmosh/protocol';
import { ManualClock } from './clock.js';
import { InMemoryLink } from './link.js';
import { seededRandom } from './random.js';
import { Simulation } from './simulation.js';

export interface SimulatedSessionInit<C, S> {
  /** Seeds the key, the chaff and the link: the same seed replays the same session. */
  readonly seed: number;
  readonly profile?: LinkProfile;
  /** bytes of UDP payload, for both the connections' fragmenting and the link's limit. Default 1252. */
  readonly mtu?: number;
  /** The RTT seed both connections start from (as the shell passes the bootstrap round trip). */
  readonly initialRttMs?: number;
  /** The client's initial local state (the input stream) and the server's (the screen). */
  readonly clientInitial: C;
  readonly serverInitial: S;
  readonly clientTiming?: Partial<TransportTiming>;
  readonly serverTiming?: Partial<TransportTiming>;
  readonly startMs?: number;
}

export interface SimulatedSession<C extends SyncState<C>, S extends SyncState<S>> {
  readonly clock: ManualClock;
  readonly link: InMemoryLink;
  readonly simulation: Simulation;
  readonly key: SessionKey;
  /** Client transport: sends C, receives S. */
  readonly client: Transport<C, S, Connection>;
  /** Server transport: sends S, receives C. */
  readonly server: Transport<S, C, Connection>;
}

/**
 * A client and a server transport over real Connections (sealed datagrams, one session key) joined by an
 * InMemoryLink and driven by a Simulation under a ManualClock.
 */
export function createSimulatedSession<C extends SyncState<C>, S extends SyncState<S>>(init: SimulatedSessionInit<C, S>): SimulatedSession<C, S> {
  const random = seededRandom(init.seed);
  const clock = new ManualClock(init.startMs ?? 0);
  const link = new InMemoryLink({ seed: init.seed, profile: init.profile, mtu: init.mtu, originMs: init.startMs ?? 0 });
  const key = SessionKey.generate(random.bytes);
  const connectionInit = { key, random: random.bytes, initialSeq: 0n, mtu: init.mtu, initialRttMs: init.initialRttMs };
  const clientConnection = new Connection({ ...connectionInit, role: 'client', serverAddress: link.serverAddress });
  const serverConnection = new Connection({ ...connectionInit, role: 'server' });
  const client = new Transport<C, S, Connection>({
    connection: clientConnection,
    initialLocal: init.clientInitial,
    initialRemote: init.serverInitial,
    // The real client's timing (client session.ts uses the same).
    timing: { ...TSMOSH_CLIENT_TIMING, ...init.clientTiming },
  });
  const server = new Transport<S, C, Connection>({
    connection: serverConnection,
    initialLocal: init.serverInitial,
    initialRemote: init.clientInitial,
    // The real server's timing (server session.ts uses the same).
    timing: { ...TSMOSH_SERVER_TIMING, ...init.serverTiming },
  });
  const simulation = new Simulation({ clock, link, client, server });
  return { clock, link, simulation, key, client, server };
}
