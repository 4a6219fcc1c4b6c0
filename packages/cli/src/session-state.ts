/**
 * What `tsmosh` remembers about named sessions, per host, so that after the client itself dies (a laptop crash, a
 * killed terminal) `tsmosh host --session NAME` needs nothing but a new SSH login, and a plain `tsmosh host` can
 * remind the user of a session left behind.
 *
 * Stored, per destination (as typed: `host`, `user@host`, an ssh_config alias), in one JSON file:
 * the session's name (and its stable ID once `--list` showed it), the daemon's UDP port, the command, when it was first and last attached, the
 * pid of the tsmosh that attached it last and whether that tsmosh exited cleanly, and the options needed to reach
 * the server again (`--server`, `-p`, `--bind-server`).
 *
 * Never stored: the session key, or anything derived from it. The key lives only in the client's memory; every
 * attach gets a fresh one over SSH, and the server refuses all earlier keys once the new one is used. So the file
 * cannot be replayed to attach without SSH: the session ID and port it holds are sent in clear in every datagram
 * anyway (docs/protocol.md §1), and attaching needs a login as the user on the host (the daemon's control socket is
 * in a 0700 directory). The file is still private (0600 in a 0700 directory): session names and commands can say
 * what someone works on.
 */
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { stateDirectory } from '@tsmosh/protocol/front';

const SESSION_STATE_VERSION = 1;

export interface RememberedSession {
  /** The session's name; for an unnamed session, its ID (what `--session` takes to attach to it). */
  readonly name: string;
  /** An unnamed session (a plain `tsmosh host`), remembered so that a crashed client's session can be taken back. */
  readonly unnamed?: true;
  /** The session's stable ID on the host, once `--list` has shown it (public: IDs travel in clear). */
  readonly sessionId?: string;
  readonly port: number;
  readonly command: readonly string[];
  /** ISO 8601. */
  readonly firstAttachedAt: string;
  readonly lastAttachedAt: string;
  /** The tsmosh process that attached it last. */
  readonly clientPid: number;
  /** 'attached': that tsmosh is running or died without exiting; 'detached': it exited and the session lives on. */
  readonly clientState: 'attached' | 'detached';
  /** ISO 8601: when a plain `tsmosh host` first said this session had lost its client (orphanNotices). */
  readonly reportedAt?: string;
  /** ISO 8601: when a plain `tsmosh host` last said so (it says so at most once a day: ORPHAN_REMINDER_INTERVAL_MS). */
  readonly remindedAt?: string;
  /** How the server was reached, so a re-attach after a crash needs no options retyped. */
  readonly serverCommand?: string;
  readonly serverPort?: string;
  readonly bindServer?: string;
}

interface HostFile {
  readonly version: number;
  readonly destination: string;
  readonly sessions: Record<string, RememberedSession>;
}

/** The state folder, by the rule the daemon and the client share (@tsmosh/protocol state-dir.ts). */
export function resolveStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return stateDirectory(env, env.HOME || homedir());
}

/** The per-host file: a hash of the destination, so any alias maps to a safe, fixed-length name. */
export function hostFileName(destination: string): string {
  return `host-${createHash('sha256').update(destination).digest('hex').slice(0, 20)}.json`;
}

/** The state folder cannot be used (not a folder, another user's); the message says what to do. */
export class SessionStateError extends Error {
  override readonly name = 'SessionStateError';
}

/**
 * The remembered sessions of every host, in a private directory. Every failure to read is treated as "nothing
 * remembered" (a corrupt file must not stop anyone connecting); failures to write are reported to the caller, which
 * shows them as a warning.
 */
export class SessionState {
  constructor(readonly dir: string = resolveStateDir()) {}

  /** Creates the directory 0700, or tightens one we own; refuses a directory someone else owns. */
  private ensureDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(this.dir);
    if (!stat.isDirectory()) throw new SessionStateError(`tsmosh: ${this.dir} is not a directory; remove it or set TSMOSH_STATE_DIR`);
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
      throw new SessionStateError(`tsmosh: ${this.dir} belongs to another user; set TSMOSH_STATE_DIR to a directory of yours`);
    }
    if ((stat.mode & 0o077) !== 0) chmodSync(this.dir, 0o700);
  }

  private read(destination: string): HostFile {
    const empty: HostFile = { version: SESSION_STATE_VERSION, destination, sessions: {} };
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(join(this.dir, hostFileName(destination)), 'utf8'));
    } catch {
      return empty;
    }
    if (typeof parsed !== 'object' || parsed === null) return empty;
    const file = parsed as Partial<HostFile>;
    if (file.version !== SESSION_STATE_VERSION || file.destination !== destination || typeof file.sessions !== 'object' || file.sessions === null) {
      return empty;
    }
    return { version: SESSION_STATE_VERSION, destination, sessions: { ...file.sessions } };
  }

  private write(file: HostFile): void {
    this.ensureDir();
    const path = join(this.dir, hostFileName(file.destination));
    if (Object.keys(file.sessions).length === 0) {
      rmSync(path, { force: true });
      return;
    }
    // Write then rename: a crash mid-write leaves the old file, never half a file.
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  }

  /** The sessions remembered for `destination`, most recently attached first. */
  sessions(destination: string): RememberedSession[] {
    return Object.values(this.read(destination).sessions).sort((a, b) => b.lastAttachedAt.localeCompare(a.lastAttachedAt));
  }

  get(destination: string, name: string): RememberedSession | undefined {
    return this.read(destination).sessions[name];
  }

  /** Records an attach (or a creation) by this process. */
  recordAttach(destination: string, session: Omit<RememberedSession, 'firstAttachedAt' | 'lastAttachedAt' | 'clientState'>, now = new Date()): void {
    const file = this.read(destination);
    const earlier = file.sessions[session.name];
    // A session that was forgotten (ended) and started again under the same name gets a new first-attach time.
    const firstAttachedAt = earlier?.firstAttachedAt ?? now.toISOString();
    const sessionId = session.sessionId ?? earlier?.sessionId;
    this.write({
      ...file,
      sessions: {
        ...file.sessions,
        [session.name]: { ...session, ...(sessionId !== undefined ? { sessionId } : {}), firstAttachedAt, lastAttachedAt: now.toISOString(), clientState: 'attached' },
      },
    });
  }

  /** This tsmosh exited cleanly; the session still runs on the host (taken over, network timeout, or detached). */
  recordDetached(destination: string, name: string, clientPid: number = process.pid): void {
    const file = this.read(destination);
    const session = file.sessions[name];
    if (session === undefined || session.clientPid !== clientPid) return;
    this.write({ ...file, sessions: { ...file.sessions, [name]: { ...session, clientState: 'detached' } } });
  }

  /** The session ended on the host (its command exited, or it was killed): forget it. */
  forget(destination: string, name: string): void {
    const file = this.read(destination);
    if (file.sessions[name] === undefined) return;
    const sessions = { ...file.sessions };
    delete sessions[name];
    this.write({ ...file, sessions });
  }

  /**
   * Keeps only the sessions the host lists now (after `--list`), noting their IDs; a name now held by another
   * session (the old one ended, a new one took the name) is kept with the new ID.
   */
  reconcile(destination: string, live: ReadonlyArray<{ name?: string | undefined; sessionId: string }>): void {
    const file = this.read(destination);
    const sessions: Record<string, RememberedSession> = {};
    for (const [name, session] of Object.entries(file.sessions)) {
      const listed = listedEntry(session, live);
      if (listed !== undefined) sessions[name] = { ...session, sessionId: listed.sessionId };
    }
    this.write({ ...file, sessions });
  }

  /**
   * Notes that each of these sessions was reported now as having lost its client: when it was first (kept on later
   * reports) and last. A new attach (recordAttach) forgets both: a client lost after it is news again.
   */
  markReported(destination: string, names: readonly string[], now = new Date()): void {
    const file = this.read(destination);
    const sessions = { ...file.sessions };
    let changed = false;
    for (const name of names) {
      const session = sessions[name];
      if (session === undefined) continue;
      sessions[name] = { ...session, reportedAt: session.reportedAt ?? now.toISOString(), remindedAt: now.toISOString() };
      changed = true;
    }
    if (changed) this.write({ ...file, sessions });
  }

  /**
   * Sessions whose tsmosh died without exiting cleanly (crashed, SIGKILLed, its machine rebooted): still 'attached'
   * in the file while their pid is gone. A plain `tsmosh host` mentions them.
   */
  orphaned(destination: string, isAlive: (pid: number) => boolean = processIsAlive): RememberedSession[] {
    return this.sessions(destination).filter((session) => session.clientState === 'attached' && !isAlive(session.clientPid));
  }

  /** Every per-host file's destination (for tests and a future `tsmosh --forget`). */
  destinations(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const found: string[] = [];
    for (const name of names) {
      if (!/^host-[0-9a-f]{20}\.json$/.test(name)) continue;
      try {
        const file = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as Partial<HostFile>;
        if (typeof file.destination === 'string') found.push(file.destination);
      } catch {
        // unreadable: skipped, as read() would
      }
    }
    return found;
  }
}

/**
 * The host's list entry for a remembered session: by name, or for an unnamed one by its ID (which is also its name
 * once `--session ID` named it).
 */
export function listedEntry<Entry extends { readonly name?: string | undefined; readonly sessionId: string }>(session: RememberedSession, live: readonly Entry[]): Entry | undefined {
  return live.find((entry) => entry.name === session.name || (session.unnamed === true && entry.sessionId === session.name));
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: gone. EPERM: the pid now belongs to another user's process, so it is not our tsmosh either.
    return false;
  }
}
