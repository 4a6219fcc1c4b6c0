/**
 * Which code a tsmosh-server runs, so that `new` can say when the daemon it reached runs other code than its own
 * install's. After an upgrade of the same protocol the old daemon keeps serving new sessions with its old code until
 * its last session ends (docs/install.md); without a word, a fix that was installed seems not to work.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SERVER_VERSION } from './version.js';

/** The daemon's own file in a bundle's manifest (scripts/build-bundles.mjs). */
const DAEMON_FILE = 'tsmosh-daemon.mjs';
/** Hex digits of the daemon file's SHA-256 shown and compared: enough to tell two builds apart, short to read. */
const BUILD_HASH_DIGITS = 12;
/** In the runtime folder: the last daemon build notice given, so it is given once per daemon and install. */
const TOLD_FILE = 'daemon-build-told';

/**
 * The build of the tsmosh-server whose entry is `entryScript`: its version, plus, when it runs from a bundle (an
 * install over SSH, the npm package), the start of its daemon file's SHA-256: the code changes with every fix while
 * the version may stay. The npm package's manifest has that hash; an install over SSH keeps no manifest (the client
 * checked each file against its own), so there the daemon file is hashed (87 KB, under a millisecond). The daemon
 * file names its chunks by their content hashes, so it changes whenever any code it loads does. Outside a bundle (a
 * source checkout), the version alone.
 */
export function serverBuild(entryScript: string): string {
  const dir = dirname(entryScript);
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files?: Array<{ path?: unknown; sha256?: unknown }> };
    const daemon = manifest.files?.find((file) => file.path === DAEMON_FILE);
    if (typeof daemon?.sha256 === 'string') return buildOf(daemon.sha256);
  } catch {
    // no manifest here
  }
  try {
    return buildOf(createHash('sha256').update(readFileSync(join(dir, DAEMON_FILE))).digest('hex'));
  } catch {
    // no bundle here
  }
  return SERVER_VERSION;
}

function buildOf(daemonSha256: string): string {
  return `${SERVER_VERSION}+${daemonSha256.slice(0, BUILD_HASH_DIGITS)}`;
}

let daemonBuild: string | undefined;

/** This daemon's build, from the entry script it was started with (`node … tsmosh-server.mjs daemon`). */
export function runningDaemonBuild(): string {
  daemonBuild ??= serverBuild(process.argv[1] ?? '');
  return daemonBuild;
}

/**
 * The line for a daemon of another build than `ours`, or undefined when they match. `theirs` undefined: a daemon
 * from before the build was reported, so older than this code.
 */
export function daemonBuildNotice(ours: string, theirs: string | undefined): string | undefined {
  if (theirs === ours) return undefined;
  const running = theirs === undefined ? 'an older tsmosh-server' : `tsmosh-server ${theirs}`;
  return (
    `tsmosh: the running tsmosh daemon is ${running}, not this install's ${ours}: sessions run its code until its ` +
    'last session ends and it exits (`--list` shows them, `--kill` ends one); the next session then starts this one.'
  );
}

/**
 * Which daemon answers on `socketPath`: its control socket's inode and change time, as a new daemon makes a new
 * socket (no request needed, so older daemons are told apart too). Undefined when the socket is gone.
 */
export function daemonInstance(socketPath: string): string | undefined {
  try {
    const stat = statSync(socketPath);
    return `${stat.ino}@${stat.ctimeMs}`;
  } catch {
    return undefined;
  }
}

/**
 * Whether to give the notice for this daemon (`daemon`, daemonInstance's) and these two builds: once, not at every
 * login. The user can act on it only by ending the old daemon's sessions, which may be kept on purpose for weeks;
 * the line said once says what to do, and repeated it is noise. Remembered in the runtime folder, which goes with
 * the daemon at a reboot.
 */
export function firstTimeFor(runtimeDir: string, daemon: string | undefined, ours: string, theirs: string | undefined): boolean {
  if (daemon === undefined) return true;
  const key = `${daemon} ${theirs ?? 'older'} ${ours}\n`;
  const file = join(runtimeDir, TOLD_FILE);
  try {
    if (readFileSync(file, 'utf8') === key) return false;
  } catch {
    // never told
  }
  try {
    writeFileSync(file, key, { mode: 0o600 });
  } catch {
    // Cannot remember it: told again next time, which is better than never.
  }
  return true;
}
