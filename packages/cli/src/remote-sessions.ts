/**
 * `tsmosh host --session NAME`, `tsmosh host --list`, `tsmosh host --kill NAME`: named sessions on the host's
 * daemon, over the same SSH login as any session. A named session outlives its client; attaching to it (from this
 * machine after a crash, or from another one) takes it over with a fresh key (docs/protocol.md §9). What is
 * remembered locally, and why it is safe, is in session-state.ts.
 */
import { SESSION_NAME_PATTERN } from '@tsmosh/protocol/front';
import { EXIT_TSMOSH_FAILURE } from '@tsmosh/client/front';
import type { SessionExit } from '@tsmosh/client';
import { hostOptions, runRemote, type RemoteDependencies, type RemoteOptions } from './remote.js';
import { SessionState, SessionStateError, listedEntry, type RememberedSession } from './session-state.js';
import { UNNAMED_SESSION_IDLE_TIMEOUT_MS, describeGeneration, relativeTsmosh } from '@tsmosh/server/new-session';



export interface NamedSessionOptions {
  /** Attach to, or create, the session of this name. */
  readonly session: string;
  /** `--idle-timeout` for the host: 90s, 30m, 12h, 7d, 0 = never. */
  readonly idleTimeout?: string;
}

export interface SessionsDependencies extends RemoteDependencies {
  readonly state?: SessionState;
  /** Where one-line notices go (default stderr). */
  readonly tell?: (line: string) => void;
}

/**
 * Where a session command's one-line notices go (the caller's `tell`, else stderr), and the warning for a local
 * session list that could not be written: the list is a convenience, so failing to update it never stops a session.
 */
export function noticeLines(dependencies: Pick<SessionsDependencies, 'tell'>): { tell: (line: string) => void; warn: (error: unknown) => void } {
  const tell = dependencies.tell ?? ((line: string) => void process.stderr.write(`${line}\n`));
  return { tell, warn: (error) => tell(`tsmosh: warning: could not update the local session list: ${(error as Error).message}`) };
}

/**
 * Where sessions run, as the local list keys them and the notices name them: a host, or this machine's daemon
 * (`tsmosh --local`), which is remembered and reminded of by the same code.
 */
export interface SessionPlace {
  /** The local list's key: the destination as typed, or LOCAL_PLACE's (no destination starts with '-'). */
  readonly key: string;
  /** "on devbox", "on this machine". */
  readonly where: string;
  /** The command that reaches it, before `--session NAME`: "tsmosh devbox", "tsmosh --local". */
  readonly command: string;
}

export function hostPlace(destination: string): SessionPlace {
  return { key: destination, where: `on ${destination}`, command: `tsmosh ${destination}` };
}

export const LOCAL_PLACE: SessionPlace = { key: '--local', where: 'on this machine', command: 'tsmosh --local' };

/** The `tsmosh-server new` arguments a named session adds. */
export function namedSessionArguments(named: NamedSessionOptions): string[] {
  return ['--name', named.session, ...(named.idleTimeout !== undefined ? ['--idle-timeout', named.idleTimeout] : [])];
}

/**
 * Attach to or create a named session. Options not given on this command line (`--server`, `-p`, `--bind-server`)
 * come from the last attach to this session from this machine, so after a crash the same command, with nothing
 * added, finds the session again.
 */
export async function runNamedSession(options: RemoteOptions, named: NamedSessionOptions, dependencies: SessionsDependencies = {}): Promise<number> {
  const { tell } = noticeLines(dependencies);
  if (!SESSION_NAME_PATTERN.test(named.session)) {
    tell(`tsmosh: --session ${JSON.stringify(named.session)}: use up to 64 letters, digits, '.', '_' or '-' (not starting with '.' or '-')`);
    return 2;
  }
  const state = dependencies.state ?? new SessionState();
  const remembered = safely(() => state.get(options.destination, named.session), undefined);
  const effective: RemoteOptions = {
    ...options,
    ...(options.serverCommand === undefined && remembered?.serverCommand !== undefined ? { serverCommand: remembered.serverCommand } : {}),
    ...(options.serverPort === undefined && remembered?.serverPort !== undefined ? { serverPort: remembered.serverPort } : {}),
    ...(options.bindServer === undefined && remembered?.bindServer !== undefined ? { bindServer: remembered.bindServer } : {}),
    extraServerArguments: [...(options.extraServerArguments ?? []), ...namedSessionArguments(named)],
  };
  const hooks = namedSessionHooks(hostPlace(options.destination), named.session, effective, { ...dependencies, state });
  return runRemote(effective, {
    ...dependencies,
    sessionName: named.session,
    onConnected: (target) => {
      hooks.onConnected(target);
      dependencies.onConnected?.(target);
    },
    onExit: (exit) => {
      hooks.onExit(exit);
      dependencies.onExit?.(exit);
    },
  });
}

/**
 * A named session is remembered while its client runs and after the user leaves it running, so that when this
 * tsmosh dies without exiting the next plain run at the same place reminds of it (orphanReminders); it is forgotten
 * once the session itself ended. When it goes on without us, the user is told how to return.
 */
export function namedSessionHooks(place: SessionPlace, name: string, reach: SessionReach, dependencies: SessionsDependencies = {}): Required<Pick<RemoteDependencies, 'onConnected' | 'onExit'>> {
  const { tell, warn } = noticeLines(dependencies);
  const state = dependencies.state ?? new SessionState();
  return {
    onConnected: (target) => {
      try {
        state.recordAttach(place.key, attachedEntry(reach, name, target.port));
      } catch (error) {
        warn(error);
      }
    },
    onExit: (exit) => {
      try {
        if (sessionIsOver(exit)) state.forget(place.key, name);
        else state.recordDetached(place.key, name);
      } catch (error) {
        warn(error);
      }
      if (exit?.reason === 'user') {
        tell(`tsmosh: session ${name} goes on ${place.where}: \`${place.command} --session ${name}\` returns to it, \`--kill ${name}\` ends it.`);
      }
    },
  };
}

/** What a session's entry in the local list keeps of the options that started it. */
type SessionReach = Pick<RemoteOptions, 'command' | 'serverCommand' | 'serverPort' | 'bindServer'>;

/** What this tsmosh remembers of a session it attached: how to reach its server again, never its key. */
function attachedEntry(options: SessionReach, name: string, port: number): Parameters<SessionState['recordAttach']>[1] {
  return {
    name,
    port,
    command: options.command,
    clientPid: process.pid,
    ...(options.serverCommand !== undefined ? { serverCommand: options.serverCommand } : {}),
    ...(options.serverPort !== undefined ? { serverPort: options.serverPort } : {}),
    ...(options.bindServer !== undefined ? { bindServer: options.bindServer } : {}),
  };
}

/**
 * Whether the session itself ended (so there is nothing left to attach to): its command exited, or it was killed
 * or timed out on the host. Quitting the client (Ctrl-^ ., or a signal), a takeover, a network timeout or a local
 * error leave a named session running there.
 */
function sessionIsOver(exit: SessionExit | undefined): boolean {
  if (exit === undefined || exit.reason !== 'remote-exit') return false;
  return exit.ending?.kind !== 'taken-over';
}

/**
 * A plain `tsmosh host` remembers its unnamed session by ID while it runs, so that when this tsmosh dies without
 * exiting (a crash, SIGKILL, a laptop that never woke) the next `tsmosh host` says how to take it back: the daemon
 * attaches `--session ID` to the unnamed session of that ID. When the session ends with this client (the user quit,
 * the command exited) it is forgotten; when it goes on without us, the user is told how to return.
 */
export function unnamedSessionHooks(place: SessionPlace, options: SessionReach, dependencies: SessionsDependencies = {}): Pick<RemoteDependencies, 'onConnected' | 'onExit'> {
  const { tell, warn } = noticeLines(dependencies);
  const state = dependencies.state ?? new SessionState();
  let id: string | undefined;
  return {
    onConnected: (target) => {
      id = target.keyId;
      try {
        state.recordAttach(place.key, { ...attachedEntry(options, id, target.port), unnamed: true });
      } catch (error) {
        warn(error);
      }
    },
    onExit: (exit) => {
      if (id === undefined) return;
      const goesOn = unnamedSessionGoesOn(exit);
      try {
        if (goesOn) state.recordDetached(place.key, id);
        else state.forget(place.key, id);
      } catch (error) {
        warn(error);
      }
      if (goesOn && exit?.ending?.kind !== 'taken-over') {
        tell(`tsmosh: the session may still run ${place.where}: \`${place.command} --session ${id}\` takes it back, \`--kill ${id}\` ends it.`);
      }
    },
  };
}

/**
 * Whether an unnamed session outlives this client's exit: it ends when the user quits (as in mosh), when its
 * command exits or it is killed, and with its daemon; a takeover, a give-up on the network or a local error leave it.
 */
function unnamedSessionGoesOn(exit: SessionExit | undefined): boolean {
  if (exit === undefined) return false; // never connected: the host ends a session no client reached
  if (exit.reason === 'user' || exit.reason === 'server-gone') return false;
  if (exit.reason === 'remote-exit') return exit.ending?.kind === 'taken-over';
  return true;
}

/**
 * The host's list, as `tsmosh-server list --json` gives it: what a reminder is checked against. A session a daemon of
 * another generation runs (an older tsmosh's, after an upgrade) is marked otherGeneration: `--session` is refused
 * for it, so its reminder says what works instead.
 */
export type LiveSessions = ReadonlyArray<{
  readonly sessionId: string;
  readonly name?: string;
  readonly otherGeneration?: { readonly protocol?: number | undefined; readonly version: string };
}>;

/**
 * ms: a session whose client was lost is reminded of at the first plain run after, then at most this often while it
 * still runs: a day. A reminder at every run (as before) repeated the same lines under each session's output for as
 * long as a named session waited, which may be weeks; once a day still catches a reminder missed or forgotten, and
 * `--list` shows the session at any time.
 */
export const ORPHAN_REMINDER_INTERVAL_MS = 24 * 60 * 60 * 1000;

/**
 * After a plain `tsmosh host` (or `tsmosh --local`): mention sessions whose tsmosh died without exiting, and how to
 * take each back, each at most once per ORPHAN_REMINDER_INTERVAL_MS (its remindedAt; before that field, the first
 * report's time). `live`, the place's list of sessions when it could be had, settles each: one it no longer has is
 * forgotten (a named one with a last line, whenever that is: it may have been killed elsewhere, or its daemon stopped
 * with the host). Without it, an unnamed one is mentioned until UNNAMED_SESSION_IDLE_TIMEOUT_MS after it was first
 * mentioned, then forgotten: its idle clock on the host started before that (at its client's last datagram), so by
 * then the host has ended it; a named one stays (it may wait for its user for ever).
 */
export function orphanNotices(place: SessionPlace, state: SessionState = new SessionState(), now = new Date(), live?: LiveSessions): string[] {
  const expired = (session: RememberedSession): boolean =>
    session.unnamed === true && session.reportedAt !== undefined && now.getTime() - Date.parse(session.reportedAt) > UNNAMED_SESSION_IDLE_TIMEOUT_MS;
  const gone = (session: RememberedSession): boolean => live !== undefined && listedEntry(session, live) === undefined;
  const reminded = (session: RememberedSession): boolean => {
    const at = session.remindedAt ?? session.reportedAt;
    return at !== undefined && now.getTime() < Date.parse(at) + ORPHAN_REMINDER_INTERVAL_MS;
  };
  const orphans = safely(() => state.orphaned(place.key), []);
  const due = orphans.filter((orphan) => !expired(orphan) && !gone(orphan) && !reminded(orphan));
  safely(() => {
    for (const session of orphans.filter((orphan) => expired(orphan) || gone(orphan))) state.forget(place.key, session.name);
    state.markReported(place.key, due.map((session) => session.name), now);
  }, undefined);
  const lost = (session: RememberedSession): string => `lost its client (tsmosh pid ${session.clientPid} did not exit cleanly)`;
  return orphans.flatMap((session) => {
    if (expired(session)) return [];
    if (gone(session)) {
      // An unnamed one ended as unnamed sessions do; a named one was asked for by name and may be wanted again.
      return session.unnamed === true ? [] : [`tsmosh: session "${session.name}" ${place.where}, whose client was lost, no longer runs there; \`${place.command} --session ${session.name}\` starts it again.`];
    }
    if (!due.includes(session)) return [];
    const which = session.unnamed === true ? `an unnamed session ${place.where}` : `session "${session.name}" ${place.where}`;
    const elsewhere = live === undefined ? undefined : listedEntry(session, live)?.otherGeneration;
    if (elsewhere !== undefined) {
      // This tsmosh's --session would be refused: only the tsmosh of that generation can reattach it.
      return [
        `tsmosh: ${which} ${lost(session)}; it runs under ${relativeTsmosh(elsewhere)} tsmosh (${elsewhere.version}, ${describeGeneration(elsewhere)}): reattach with that tsmosh (\`--session ${session.name}\`), or \`${place.command} --kill ${session.name}\` ends it.`,
      ];
    }
    return [
      session.unnamed === true
        ? `tsmosh: ${which} ${lost(session)}; \`${place.command} --session ${session.name}\` takes it back, \`--kill ${session.name}\` ends it.`
        : `tsmosh: ${which} ${lost(session)}; \`${place.command} --session ${session.name}\` takes it back.`,
    ];
  });
}

/**
 * ms: how long the end of a plain run waits for the place's list (asked for while the session ran) before it reminds
 * unchecked, as without a list. A login on a working link answers well within this; only a run with something to
 * remind of asks, and only a session shorter than the login waits at all.
 */
const ORPHAN_CHECK_WAIT_MS = 2000;

/**
 * The reminders of a plain run at `place`: the place's live list is asked for (`list()`, a login that never asks
 * anything) once the session is connected, and only when this machine remembers a session whose client died; at
 * the end, `notices()` gives orphanNotices checked against it.
 */
export function orphanReminders(place: SessionPlace, list: () => Promise<LiveSessions | undefined>, state: SessionState = new SessionState()): { onConnected(): void; notices(now?: Date): Promise<string[]> } {
  const due = safely(() => state.orphaned(place.key), []).length > 0;
  let live: Promise<LiveSessions | undefined> | undefined;
  return {
    onConnected: () => {
      if (due) live ??= list().catch(() => undefined);
    },
    notices: async (now = new Date()) => {
      let timer: NodeJS.Timeout | undefined;
      const listed =
        live === undefined
          ? undefined
          : await Promise.race([live, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ORPHAN_CHECK_WAIT_MS)))]);
      if (timer !== undefined) clearTimeout(timer);
      return orphanNotices(place, state, now, listed);
    },
  };
}

/**
 * A plain run at `place` (`tsmosh host`, `tsmosh --local`): its session remembered while it runs (unnamedSessionHooks)
 * and, at the end, the reminders of sessions left behind by earlier runs (orphanReminders), checked against the
 * place's list, which `list` gets.
 */
export function plainSession(
  place: SessionPlace,
  reach: SessionReach,
  list: () => Promise<LiveSessions | undefined>,
  dependencies: SessionsDependencies = {},
): Required<Pick<RemoteDependencies, 'onConnected' | 'onExit'>> & { notices(now?: Date): Promise<string[]> } {
  const state = dependencies.state ?? new SessionState();
  // Before this run's own session is in the list.
  const reminders = orphanReminders(place, list, state);
  const hooks = unnamedSessionHooks(place, reach, { ...dependencies, state });
  return {
    onConnected: (target) => {
      hooks.onConnected?.(target);
      reminders.onConnected();
    },
    onExit: (exit) => hooks.onExit?.(exit),
    notices: (now) => reminders.notices(now),
  };
}

interface ListedSession {
  readonly sessionId: string;
  readonly name?: string;
}

/** `tsmosh host --list` (table for a person) and `--list --json`; refreshes the local list from the answer. */
export async function runRemoteList(options: RemoteOptions, json: boolean, dependencies: SessionsDependencies = {}): Promise<number> {
  const result = await runOnHost(options, ['list', '--json'], dependencies);
  if (typeof result === 'number') return result;
  let sessions: ListedSession[];
  try {
    sessions = JSON.parse(result.stdout) as ListedSession[];
    if (!Array.isArray(sessions)) throw new Error('not a list');
  } catch {
    return fail(dependencies, `tsmosh: tsmosh-server list on ${options.destination} answered with something that is not a session list`);
  }
  try {
    (dependencies.state ?? new SessionState()).reconcile(options.destination, sessions);
  } catch (error) {
    if (!(error instanceof SessionStateError)) throw error;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(sessions)}\n`);
    return 0;
  }
  // The host's own table, so both ends show the same columns.
  const table = await runOnHost(options, ['list'], dependencies);
  if (typeof table === 'number') return table;
  process.stdout.write(table.stdout);
  return 0;
}

/** `tsmosh host --kill NAME|ID`: the session's client, if any, is told and exits. */
export async function runRemoteKill(options: RemoteOptions, target: string, dependencies: SessionsDependencies = {}): Promise<number> {
  const result = await runOnHost(options, ['kill', target], dependencies);
  if (typeof result === 'number') return result;
  reportKilled(hostPlace(options.destination), target, dependencies);
  return 0;
}

/**
 * A line of tsmosh-server's, as the user of `tsmosh` reads it: without the server's prefix, and with the server's
 * commands (`list`, `new`) replaced by the ones this user types.
 */
export function inClientTerms(serverLine: string, place: SessionPlace): string {
  return serverLine
    .replace(/^tsmosh-server: /, '')
    .replaceAll('`tsmosh-server list`', `\`${place.command} --list\``)
    .replaceAll('`tsmosh-server new`', `\`${place.command}\``);
}

/** After `--kill NAME|ID` at `place` succeeded: the local list forgets the session, and one line says it ended. */
export function reportKilled(place: SessionPlace, target: string, dependencies: SessionsDependencies = {}): void {
  safely(() => (dependencies.state ?? new SessionState()).forget(place.key, target), undefined);
  noticeLines(dependencies).tell(`tsmosh: session ${target} ${place.where} ended.`);
}

/** Runs `tsmosh-server <args>` over SSH; a failure is reported in one line and comes back as the exit code. */
async function runOnHost(options: RemoteOptions, args: string[], dependencies: SessionsDependencies): Promise<{ stdout: string } | number> {
  const env = dependencies.env ?? process.env;
  const { BootstrapError, SshConfigError, TtyPrompter, runServerCommand, runServerCommandWithSystemSsh, serverNotFoundMessage } = await import('./ssh/index.js');
  const prompter = dependencies.prompter ?? new TtyPrompter(dependencies.input ?? process.stdin, process.stderr);
  const host = hostOptions(options);
  try {
    const { stdout, stderr, code } =
      options.sshCommand !== undefined
        ? await runServerCommandWithSystemSsh({ ...host, sshCommand: options.sshCommand, serverArguments: args }, 'pipe')
        : await runServerCommand({ ...host, env, prompter, serverArguments: args });
    if (code !== 0) {
      if (options.sshCommand !== undefined && code === 255) {
        // OpenSSH's own failure (it reserves 255): its message is the one to show.
        const sshLine = stderr.split('\n').find((text) => text.trim() !== '') ?? 'exit status 255';
        return fail(dependencies, `tsmosh: ssh could not log in to ${options.destination}: ${sshLine.trim()}`);
      }
      if (code === 127) return fail(dependencies, serverNotFoundMessage(host, options.destination, stderr));
      const line = stderr.split('\n').find((text) => text.trim() !== '') ?? `exit status ${code ?? 'unknown'}`;
      // "no daemon is running" is the empty list, not an error.
      if (args[0] === 'list' && /no daemon is running/.test(line)) return { stdout: args.includes('--json') ? '[]' : 'no sessions\n' };
      return fail(dependencies, `tsmosh: on ${options.destination}: ${inClientTerms(line, hostPlace(options.destination))}`);
    }
    return { stdout };
  } catch (error) {
    if (error instanceof BootstrapError || error instanceof SshConfigError) return fail(dependencies, error.message);
    return fail(dependencies, `tsmosh: could not reach ${options.destination}: ${(error as Error).message}`);
  }
}

function fail(dependencies: SessionsDependencies, message: string): number {
  noticeLines(dependencies).tell(message);
  return EXIT_TSMOSH_FAILURE;
}

/** Local state is a convenience: reading it must never stop a connection. */
function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
