/**
 * Session records on disk: what the daemon keeps of each named session so that the session can be started again
 * after the daemon itself is gone (the host rebooted, the daemon was SIGKILLed or OOM-killed).
 *
 * Per named session, two files in the state folder's `sessions/` (folder 0700, files 0600, both owned by the user):
 * - `NAME.json`: name, command, the environment it started with, the folder it started in and the one its foreground
 *   program was last seen in, start time, the daemon's pid and the host's boot ID, when it was last saved, and how
 *   it ended if the daemon saw it end.
 * - `NAME.screen`: the last screen and the recent history (the scrollback log's window), as one screen-state diff
 *   from a blank screen (the wire's own codec, docs/protocol.md §10), behind a small header.
 *
 * Both are replaced atomically (write a temporary file, fsync, rename), so a crash mid-write leaves the previous
 * copy. Where the folder is: `$TSMOSH_STATE_DIR`; else, for a daemon given its own `$TSMOSH_RUNTIME_DIR`,
 * `$TSMOSH_RUNTIME_DIR/state` (two daemons of one user never restart each other's sessions); else
 * `$XDG_STATE_HOME/tsmosh`, else `~/.local/state/tsmosh`. Not the runtime folder: `$XDG_RUNTIME_DIR` is emptied
 * at every reboot, which is the very event the records must survive.
 */
import { chmodSync, closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SESSION_NAME_PATTERN, stateDirectory } from '@tsmosh/protocol';
import { decodeSavedScreen, encodeSavedScreen, type ScreenState } from '@tsmosh/terminal';
import { ServerError } from './errors.js';

/** How often (ms) the daemon saves a named session whose screen, history or folder changed: "every few seconds". */
export const SESSION_SAVE_INTERVAL_MS = 3000;
/** Folders: owner only (the records hold the sessions' environments and screens). */
const STATE_DIR_MODE = 0o700;
/** Files: owner read/write only. */
const RECORD_FILE_MODE = 0o600;
/** The JSON record's format number; a record of another format is ignored (and replaced by the next save). */
export const SESSION_RECORD_FORMAT = 1;

export interface SessionRecordEnding {
  /** When the daemon saw the session end (ISO 8601). */
  readonly at: string;
  /** How, as a phrase completing "the session ...": "ended: its command exited with status 0". */
  readonly description: string;
}

export interface SessionRecord {
  readonly format: typeof SESSION_RECORD_FORMAT;
  readonly name: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The folder the command was started in. */
  readonly startDirectory: string;
  /** The working folder of the session's foreground program when last saved (Linux /proc), if known. */
  readonly lastDirectory: string | undefined;
  readonly startedAt: string;
  readonly daemonPid: number;
  /** The kernel's boot ID when the session ran (Linux); a different one now means the host rebooted since. */
  readonly bootId: string | undefined;
  /** When the record (and its screen) was last written. */
  readonly savedAt: string;
  /** Set when the daemon saw the session end; absent for a session that was running when last saved. */
  readonly ended?: SessionRecordEnding;
}

export interface LoadedSession {
  readonly record: SessionRecord;
  /** The saved last screen and history; undefined when none was saved or it could not be read. */
  readonly screen: ScreenState | undefined;
}

/** The state folder (the one rule of @tsmosh/protocol's state-dir.ts, which the header spells out). */
export function resolveStateDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return stateDirectory(env, home);
}

/** The kernel's boot ID, or undefined where there is none to read (not Linux). */
export function currentBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The working folder of the program in the foreground of the pty whose session leader is `pid` (the shell's child
 * while one runs, else the shell), read from Linux's /proc; undefined where it cannot be read.
 */
export function foregroundDirectory(pid: number): string | undefined {
  try {
    // /proc/PID/stat: "pid (comm) state ppid pgrp session tty_nr tpgid ..."; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const foregroundGroup = Number(fields[5]);
    for (const candidate of foregroundGroup > 0 ? [foregroundGroup, pid] : [pid]) {
      try {
        return readlinkSync(`/proc/${candidate}/cwd`, 'utf8');
      } catch {
        // the foreground group's leader may have exited already: fall back to the session leader
      }
    }
  } catch {
    // not Linux, or the process is gone
  }
  return undefined;
}

/** The records of one state folder. Every method is synchronous: it runs between a session's frames, rarely. */
export class SessionRecordStore {
  readonly dir: string;

  constructor(
    stateDir: string,
    private readonly uid: number = process.getuid?.() ?? 0,
  ) {
    this.dir = join(stateDir, 'sessions');
  }

  /** Writes `record` and, when given, its screen; each file replaced atomically. */
  save(record: SessionRecord, screen?: ScreenState): void {
    this.ensureDir();
    if (screen !== undefined) writeAtomically(this.path(record.name, 'screen'), encodeSavedScreen(screen));
    writeAtomically(this.path(record.name, 'json'), new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`));
  }

  /** The record of `name` alone; undefined when there is none, or it is unreadable (the error is returned). */
  readRecord(name: string): { record: SessionRecord } | { problem: string } | undefined {
    if (!SESSION_NAME_PATTERN.test(name)) return undefined;
    let text: string;
    try {
      text = readFileSync(this.path(name, 'json'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return { problem: `cannot read ${this.path(name, 'json')}: ${(error as Error).message}` };
    }
    const record = parseRecord(text, name);
    return typeof record === 'string' ? { problem: `${this.path(name, 'json')}: ${record}` } : { record };
  }

  /** The record of `name` and its screen; undefined when there is none, or it is unreadable (the error is returned). */
  load(name: string): { loaded: LoadedSession } | { problem: string } | undefined {
    const found = this.readRecord(name);
    if (found === undefined || 'problem' in found) return found;
    const { record } = found;
    let screen: ScreenState | undefined;
    try {
      screen = decodeSavedScreen(readFileSync(this.path(name, 'screen')));
    } catch {
      // No screen saved yet, or a damaged one: the session is still restarted, only without its last screen.
      screen = undefined;
    }
    return { loaded: { record, screen } };
  }

  /** Removes the record and screen of `name`; whether it had a record. */
  forget(name: string): boolean {
    if (!SESSION_NAME_PATTERN.test(name) || !existsSync(this.path(name, 'json'))) return false;
    this.remove(name);
    return true;
  }

  /** Removes the record and screen of `name` (nothing if absent). */
  remove(name: string): void {
    if (!SESSION_NAME_PATTERN.test(name)) return;
    rmSync(this.path(name, 'json'), { force: true });
    rmSync(this.path(name, 'screen'), { force: true });
  }

  /** Names with a record. */
  names(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((file) => file.endsWith('.json'))
        .map((file) => file.slice(0, -'.json'.length))
        .filter((name) => SESSION_NAME_PATTERN.test(name))
        .sort();
    } catch {
      return [];
    }
  }

  private path(name: string, kind: 'json' | 'screen'): string {
    return join(this.dir, `${name}.${kind}`);
  }

  private ensureDir(): void {
    ensurePrivateDir(join(this.dir, '..'), this.uid);
    ensurePrivateDir(this.dir, this.uid);
  }
}

/** Creates `dir` (and its parents) owner-only if absent; refuses one that is not a folder of ours or is open to others. */
function ensurePrivateDir(dir: string, uid: number): void {
  mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== uid) {
    throw new ServerError('state-dir', `tsmosh-server: ${dir} is not a folder owned by you (uid ${uid}); remove it or set TSMOSH_STATE_DIR elsewhere`);
  }
  // mkdir applies the umask and leaves an existing folder alone: tighten ours rather than trust either.
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, STATE_DIR_MODE);
}

function writeAtomically(path: string, bytes: Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', RECORD_FILE_MODE);
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    // The rename below is only as durable as the data before it: a power cut must leave the old copy or the new one.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** A record read back, checked field by field; a string says what is wrong. */
export function parseRecord(text: string, expectedName: string): SessionRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  if (record.format !== SESSION_RECORD_FORMAT) return `record format ${String(record.format)}, expected ${SESSION_RECORD_FORMAT}`;
  if (record.name !== expectedName) return `names session ${JSON.stringify(record.name)}, not ${JSON.stringify(expectedName)}`;
  const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((item) => typeof item === 'string');
  if (!isStringArray(record.command) || record.command.length === 0) return 'no command';
  if (typeof record.env !== 'object' || record.env === null || !Object.values(record.env).every((v) => typeof v === 'string')) return 'bad env';
  for (const field of ['startDirectory', 'startedAt', 'savedAt'] as const) if (typeof record[field] !== 'string') return `no ${field}`;
  if (record.lastDirectory !== undefined && typeof record.lastDirectory !== 'string') return 'bad lastDirectory';
  if (record.bootId !== undefined && typeof record.bootId !== 'string') return 'bad bootId';
  if (typeof record.daemonPid !== 'number' || !Number.isSafeInteger(record.daemonPid)) return 'no daemonPid';
  const ended = record.ended as Record<string, unknown> | undefined;
  if (ended !== undefined && (typeof ended !== 'object' || ended === null || typeof ended.at !== 'string' || typeof ended.description !== 'string')) {
    return 'bad ended';
  }
  return value as SessionRecord;
}
