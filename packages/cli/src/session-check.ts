/**
 * The other path to the host for the client's SessionWatch (@tsmosh/client session-watch.ts): `tsmosh-server list
 * --json`, run over a new SSH login for a remote session (never prompting: the terminal belongs to the session,
 * so a login that needs a password answers "unknown") or directly for a local one. The session is looked up by
 * name when it has one, else by its session ID (the ID of the key an unnamed session was created with).
 */
import { SessionKey } from '@tsmosh/protocol/front';
import type { SessionCheck } from '@tsmosh/client';
import { hostOptions, type RemoteOptions } from './remote.js';
import { runLocalServerCommand } from './local-sessions.js';
import type { LiveSessions } from './remote-sessions.js';

/** A login for the check that takes longer than this (ms) counts as no answer: the link is likely down too. */
const CHECK_LOGIN_TIMEOUT_MS = 10_000;

export interface CheckedSession {
  /** The named session's name, if it has one. */
  readonly name?: string;
  /** The CONNECT line's key: for an unnamed session, its ID is the session's. */
  readonly key: string;
  /** When this client got the session (ms since the epoch): a session of the same name started later is another. */
  readonly connectedAt: number;
}

/** Whether `listing` (`tsmosh-server list --json` output) holds `target`; 'unreadable' if it is not a listing. */
export function findInListing(listing: string, target: CheckedSession): 'running' | 'absent' | 'replaced' | 'unreadable' {
  let sessions: unknown;
  try {
    sessions = JSON.parse(listing);
  } catch {
    return 'unreadable';
  }
  if (!Array.isArray(sessions)) return 'unreadable';
  const entries = sessions as Array<{ name?: unknown; sessionId?: unknown; startedAt?: unknown }>;
  if (target.name !== undefined) {
    const entry = entries.find((session) => session.name === target.name);
    if (entry === undefined) return 'absent';
    const started = typeof entry.startedAt === 'string' ? Date.parse(entry.startedAt) : NaN;
    // Started after we attached: the one we had died and another client started it again.
    return Number.isFinite(started) && started > target.connectedAt ? 'replaced' : 'running';
  }
  const id = SessionKey.parse(target.key).sessionIdHex;
  return entries.some((session) => session.sessionId === id) ? 'running' : 'absent';
}

/** The line for a session found gone from `where` ("host", or "this machine"); `again` is the command that returns. */
export function goneMessage(found: 'absent' | 'replaced', target: CheckedSession, where: string, again: string | undefined): string {
  if (target.name === undefined) {
    return `tsmosh: the session no longer runs on ${where}: its tsmosh daemon stopped (the host restarted, or it was killed).`;
  }
  const why = found === 'replaced' ? 'it was started again by another client after its daemon stopped' : 'its tsmosh daemon stopped (the host restarted, or it was killed)';
  return `tsmosh: session ${target.name} no longer runs on ${where}: ${why}; \`${again}\` ${found === 'replaced' ? 'attaches to the new one' : 'starts it again where it was'}.`;
}

function verdict(stdout: string, code: number | null, stderr: string, target: CheckedSession, where: string, again: string | undefined): SessionCheck {
  // No daemon at all: the clearest "gone" there is.
  if (code !== 0 && /no daemon is running/.test(stderr)) return { kind: 'gone', message: goneMessage('absent', target, where, again) };
  if (code !== 0) return { kind: 'unknown' };
  const found = findInListing(stdout, target);
  if (found === 'running') return { kind: 'running' };
  if (found === 'unreadable') return { kind: 'unknown' };
  return { kind: 'gone', message: goneMessage(found, target, where, again) };
}

/** What `tsmosh-server list --json` printed and its status (null: it did not finish). */
export interface Listing {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** `tsmosh-server list --json` of this machine's daemon (`tsmosh --local`); never throws. */
function localListing(serverBin: string, env: NodeJS.ProcessEnv): Promise<Listing> {
  return runLocalServerCommand(serverBin, ['list', '--json'], env, CHECK_LOGIN_TIMEOUT_MS);
}

/** `tsmosh-server list --json` on `options.destination`, over a new SSH login that never asks anything; never throws. */
export async function remoteListing(options: RemoteOptions, env: NodeJS.ProcessEnv): Promise<Listing> {
  try {
    const ssh = await import('./ssh/index.js');
    const { stdout, stderr, code } =
      options.sshCommand !== undefined
        ? // BatchMode: OpenSSH fails instead of asking on /dev/tty, which the session's screen owns.
          await ssh.runServerCommandWithSystemSsh({ ...hostOptions(options), sshCommand: `${options.sshCommand} -o BatchMode=yes`, serverArguments: ['list', '--json'] }, 'pipe')
        : await ssh.runServerCommand({
            ...hostOptions(options),
            env,
            serverArguments: ['list', '--json'],
            loginTimeoutMs: CHECK_LOGIN_TIMEOUT_MS,
            prompter: {
              ask: () => Promise.reject(new Error('the check never asks: the terminal belongs to the session')),
              tell: () => {},
            },
          });
    return { stdout, stderr, code: code ?? null };
  } catch (error) {
    return { stdout: '', stderr: (error as Error).message, code: null };
  }
}

/** The sessions a listing names, [] when no daemon runs, undefined when it is no answer (a failed login, garbage). */
export function liveSessions(listing: Listing): LiveSessions | undefined {
  if (listing.code !== 0) return /no daemon is running/.test(listing.stderr) ? [] : undefined;
  try {
    const sessions = JSON.parse(listing.stdout) as unknown;
    if (!Array.isArray(sessions)) return undefined;
    return sessions.filter((entry): entry is LiveSessions[number] => typeof entry === 'object' && entry !== null && typeof (entry as { sessionId?: unknown }).sessionId === 'string');
  } catch {
    return undefined;
  }
}

/** The check of a session on this machine's daemon (`tsmosh --local`). */
export function localSessionCheck(serverBin: string, env: NodeJS.ProcessEnv, target: CheckedSession): () => Promise<SessionCheck> {
  const again = target.name === undefined ? undefined : `tsmosh --local --session ${target.name}`;
  return async () => {
    const { stdout, code, stderr } = await localListing(serverBin, env);
    return verdict(stdout, code, stderr, target, 'this machine', again);
  };
}

/** The check of a session on `options.destination`, over a new SSH login that never asks anything. */
export function remoteSessionCheck(options: RemoteOptions, env: NodeJS.ProcessEnv, target: CheckedSession): () => Promise<SessionCheck> {
  const again = target.name === undefined ? undefined : `tsmosh ${options.destination} --session ${target.name}`;
  return async () => {
    const { stdout, code, stderr } = await remoteListing(options, env);
    // A login that failed (it threw, or needs a password) is no answer, as a listing that cannot be read.
    if (code === null) return { kind: 'unknown' };
    return verdict(stdout, code, stderr, target, options.destination, again);
  };
}
