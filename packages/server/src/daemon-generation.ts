/**
 * Daemons of other wire generations on this host. One daemon per user serves every session of one generation
 * (PROTOCOL_VERSION), on that generation's own control socket (runtime-dir.ts, controlSocketName), so after an
 * upgrade a `tsmosh-server new` of the new version starts its own daemon beside an old one still holding sessions:
 * the old sessions keep running, reachable by the old client, and the new session starts at once. What `new`, `list`
 * and `kill` do about the others:
 * - an idle one (no session; daemons older than the protocol field report none, which counts as another generation)
 *   is asked to exit (SIGTERM, its clean shutdown), as nothing will use it again but an older tsmosh, which starts
 *   one when it needs it;
 * - `new --name NAME` for a session one of them runs refuses in one line (namedElsewhere): a second NAME here would
 *   split the name in two, and its saved record is not a session to start again while its daemon runs it;
 * - `list` shows their sessions too, and `kill` reaches the daemon that holds the session. Asking an older daemon is
 *   safe: `status`, `list` and `kill` have kept their JSON within control protocol 2 (the `v` every request and answer
 *   carries, checked on both sides; fields were only added since), and each socket has its own token file
 *   (control-token.ts). A daemon answering another control protocol is left out: none of its sessions is reachable.
 */
import { PROTOCOL_VERSION } from '@tsmosh/protocol/front';
import { requestControl, type SessionInfo } from './control.js';
import { ServerError } from './errors.js';
import { otherControlSockets } from './runtime-dir.js';

/** Bound (ms) on a request to another daemon: a live daemon answers in a few ms; a hung one must not hold `new`. */
const OTHER_DAEMON_TIMEOUT_MS = 5000;

/** A daemon of another generation that answered on its socket. */
export interface OtherDaemon {
  readonly socketPath: string;
  readonly pid: number;
  readonly version: string;
  /** Its PROTOCOL_VERSION; undefined for daemons older than the field. */
  readonly protocol: number | undefined;
  readonly sessions: number;
}

/** The daemons answering on control sockets in `runtimeDir` other than this generation's. */
export async function otherDaemons(runtimeDir: string, protocol: number = PROTOCOL_VERSION): Promise<OtherDaemon[]> {
  const found = await Promise.all(
    otherControlSockets(runtimeDir, protocol).map(async (socketPath): Promise<OtherDaemon | undefined> => {
      try {
        const status = await requestControl(socketPath, { op: 'status' }, OTHER_DAEMON_TIMEOUT_MS);
        return { socketPath, pid: status.pid, version: status.version, protocol: status.protocol, sessions: status.sessions };
      } catch {
        // A socket left by a daemon that died, one exiting, or one that does not speak this control protocol: no
        // session of it can be reached from here either way.
        return undefined;
      }
    }),
  );
  return found.filter((daemon) => daemon !== undefined);
}

/** The other daemons holding sessions; the idle ones are asked to exit (SIGTERM) and left out. */
export async function busyOtherDaemons(runtimeDir: string, protocol: number = PROTOCOL_VERSION): Promise<OtherDaemon[]> {
  const busy: OtherDaemon[] = [];
  for (const daemon of await otherDaemons(runtimeDir, protocol)) {
    if (daemon.sessions > 0) {
      busy.push(daemon);
      continue;
    }
    try {
      process.kill(daemon.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  return busy;
}

/** `protocol 7`, or what a daemon without the field is. */
export function describeGeneration(daemon: { readonly protocol?: number | undefined }, protocol: number = PROTOCOL_VERSION): string {
  return daemon.protocol === undefined ? `a protocol older than ${protocol}` : `protocol ${daemon.protocol}`;
}

/** `an older`, `a newer`, or `another` (a daemon of this protocol from before each generation had its socket). */
export function relativeTsmosh(daemon: { readonly protocol?: number | undefined }, protocol: number = PROTOCOL_VERSION): string {
  if (daemon.protocol === undefined || daemon.protocol < protocol) return 'an older';
  return daemon.protocol > protocol ? 'a newer' : 'another';
}

/** Its sessions, as `list` gives them; [] when it is gone or cannot be asked. */
async function sessionsOf(daemon: OtherDaemon): Promise<readonly SessionInfo[]> {
  try {
    return await requestControl(daemon.socketPath, { op: 'list' }, OTHER_DAEMON_TIMEOUT_MS);
  } catch {
    return [];
  }
}

/** The sessions of the daemons of other generations, each marked with its daemon's (SessionInfo.otherGeneration). */
export async function otherGenerationSessions(runtimeDir: string, protocol: number = PROTOCOL_VERSION): Promise<{ daemon: OtherDaemon; sessions: SessionInfo[] }[]> {
  const others = await otherDaemons(runtimeDir, protocol);
  return Promise.all(
    others.map(async (daemon) => ({
      daemon,
      sessions: (await sessionsOf(daemon)).map((session) => ({
        ...session,
        otherGeneration: { protocol: daemon.protocol, version: daemon.version, daemonPid: daemon.pid },
      })),
    })),
  );
}

/** A daemon of another generation as `tsmosh-server status` reports it beside this generation's. */
export interface OtherDaemonStatus {
  readonly pid: number;
  readonly version: string;
  /** Its PROTOCOL_VERSION; absent for daemons older than the field. */
  readonly protocol?: number;
  readonly controlSocket: string;
  readonly sessions: number;
  /** Its sessions as `--session` and `kill` name them (a named one's name, an unnamed one's ID); [] if its list failed. */
  readonly names: readonly string[];
}

/** The daemons of other generations, with their sessions' names, for `status` (otherGenerationSessions). */
export function otherDaemonStatuses(others: readonly { daemon: OtherDaemon; sessions: readonly SessionInfo[] }[]): OtherDaemonStatus[] {
  return others.map(({ daemon, sessions }) => ({
    pid: daemon.pid,
    version: daemon.version,
    ...(daemon.protocol === undefined ? {} : { protocol: daemon.protocol }),
    controlSocket: daemon.socketPath,
    sessions: daemon.sessions,
    names: sessions.map((session) => session.name ?? session.sessionId),
  }));
}

/**
 * `status` with no daemon of this generation running, in one line: the ones of other generations that do, so that
 * a person who upgraded is not told that nothing runs while an older tsmosh's sessions do.
 */
export function onlyOtherDaemonsLine(others: readonly OtherDaemonStatus[], protocol: number = PROTOCOL_VERSION): string {
  const described = others.map((daemon) => {
    const count = daemon.sessions;
    const names = daemon.names.length === 0 ? '' : ` (${daemon.names.join(', ')})`;
    const held = count === 0 ? 'no session' : `${count === 1 ? '1 session' : `${count} sessions`}${names}`;
    return `${relativeTsmosh(daemon, protocol)} tsmosh's daemon (${daemon.version}, ${describeGeneration(daemon, protocol)}, pid ${daemon.pid}) runs ${held}`;
  });
  return `tsmosh-server: no daemon of this tsmosh (protocol ${protocol}) is running; ${described.join('; ')}: \`tsmosh-server list\` shows its sessions, \`tsmosh-server new\` starts this tsmosh's daemon`;
}

/**
 * A refusal when `name` (a session's name, or an unnamed one's ID) runs in one of `others`, else undefined: `new
 * --name NAME` must neither start a second NAME here nor start NAME again from its record while it runs there.
 */
export async function namedElsewhere(
  name: string,
  others: readonly OtherDaemon[],
  now: Date = new Date(),
  protocol: number = PROTOCOL_VERSION,
): Promise<ServerError | undefined> {
  for (const daemon of others) {
    const session = (await sessionsOf(daemon)).find((info) => info.name === name || info.sessionId === name);
    if (session === undefined) continue;
    // Loaded only for this refusal: session-restart.ts brings the terminal package, which `new` otherwise never loads.
    const { agoText } = await import('./session-restart.js');
    return new ServerError(
      'daemon-generation',
      `tsmosh-server: session ${name} runs under ${relativeTsmosh(daemon, protocol)} tsmosh (${daemon.version}, ${describeGeneration(daemon, protocol)}, daemon pid ${daemon.pid}), started ${agoText(session.startedAt, now)}; this one speaks protocol ${protocol}. Reattach with that tsmosh, or end it (\`tsmosh host --kill ${name}\`, or \`tsmosh-server kill ${name}\` here) and start it anew`,
    );
  }
  return undefined;
}

/**
 * Sends `kill` for `idOrName` to the other daemon that runs it: true when one did, false when none runs it (then the
 * caller's own daemon's answer stands).
 */
export async function killElsewhere(runtimeDir: string, idOrName: string, protocol: number = PROTOCOL_VERSION): Promise<boolean> {
  for (const daemon of await otherDaemons(runtimeDir, protocol)) {
    if (daemon.sessions === 0) continue;
    if (!(await sessionsOf(daemon)).some((info) => info.name === idOrName || info.sessionId === idOrName)) continue;
    await requestControl(daemon.socketPath, { op: 'kill', sessionId: idOrName }, OTHER_DAEMON_TIMEOUT_MS);
    return true;
  }
  return false;
}
