import { mkdirSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@tsmosh/protocol/front';
import { ServerError } from './errors.js';

/**
 * The per-user runtime directory holding the daemon's control socket and log. Only its owner may enter it:
 * the control socket hands out session keys, so a looser directory would let another local user take over
 * sessions. We refuse rather than repair a directory we did not create, because its contents may already be
 * someone else's.
 */

/** Owner read/write/search only. */
const RUNTIME_DIR_MODE = 0o700;
/**
 * The control socket of a daemon of wire generation `protocol` (PROTOCOL_VERSION). Each generation has its own, so
 * after an upgrade the new daemon starts beside an old one that still holds sessions instead of waiting for them to
 * end (daemon-generation.ts). Daemons from before this (protocol 7 and older) listen on `control.sock`
 * (LEGACY_CONTROL_SOCKET_NAME), which is left to them: an older tsmosh still finds its own daemon where it looked.
 */
export function controlSocketName(protocol: number = PROTOCOL_VERSION): string {
  return `control-p${protocol}.sock`;
}
/** Where every daemon listened before each generation had a socket of its own. */
export const LEGACY_CONTROL_SOCKET_NAME = 'control.sock';
/** Names of control sockets of any generation: LEGACY_CONTROL_SOCKET_NAME and controlSocketName's. */
const ANY_CONTROL_SOCKET = /^control(?:-p\d{1,9})?\.sock$/;
const DAEMON_LOG_NAME = 'daemon.log';

/** `$TSMOSH_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/tsmosh`, else `/tmp/tsmosh-<uid>`. */
export function resolveRuntimeDir(env: NodeJS.ProcessEnv = process.env, uid: number = currentUid()): string {
  const explicit = env.TSMOSH_RUNTIME_DIR;
  if (explicit !== undefined && explicit !== '') return explicit;
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg !== undefined && xdg !== '') return join(xdg, 'tsmosh');
  return `/tmp/tsmosh-${uid}`;
}

/** Creates `dir` with mode 0700 if absent; throws a ServerError if it exists but is not safe to use. */
export function ensureRuntimeDir(dir: string, uid: number = currentUid()): string {
  try {
    // mkdir applies the umask, so check the result below rather than trust the requested mode.
    mkdirSync(dir, { mode: RUNTIME_DIR_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ServerError(
        'runtime-dir',
        `tsmosh-server: cannot create runtime directory ${dir}: ${(error as Error).message}; set TSMOSH_RUNTIME_DIR to a writable path`,
      );
    }
  }
  checkRuntimeDir(dir, uid);
  return dir;
}

function checkRuntimeDir(dir: string, uid: number = currentUid()): void {
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) {
    throw new ServerError(
      'runtime-dir',
      `tsmosh-server: runtime directory ${dir} is not a directory; remove it or set TSMOSH_RUNTIME_DIR elsewhere`,
    );
  }
  if (stat.uid !== uid) {
    throw new ServerError(
      'runtime-dir',
      `tsmosh-server: runtime directory ${dir} belongs to uid ${stat.uid}, not you (uid ${uid}); set TSMOSH_RUNTIME_DIR to a directory of your own`,
    );
  }
  const mode = stat.mode & 0o777;
  if (mode !== RUNTIME_DIR_MODE) {
    throw new ServerError(
      'runtime-dir',
      `tsmosh-server: runtime directory ${dir} has mode ${mode.toString(8).padStart(4, '0')}, not 0700; run \`chmod 700 ${dir}\` if it is yours`,
    );
  }
}

export function controlSocketPath(runtimeDir: string, protocol: number = PROTOCOL_VERSION): string {
  return join(runtimeDir, controlSocketName(protocol));
}

/** The control sockets in `runtimeDir` other than this generation's: daemons of other generations, live or stale. */
export function otherControlSockets(runtimeDir: string, protocol: number = PROTOCOL_VERSION): string[] {
  let names: string[];
  try {
    names = readdirSync(runtimeDir);
  } catch {
    return [];
  }
  const ours = controlSocketName(protocol);
  // Oldest generation first (the legacy socket, then by protocol), as `list` shows them.
  const generation = (name: string): number => Number(/-p(\d+)\./.exec(name)?.[1] ?? -1);
  return names
    .filter((name) => name !== ours && ANY_CONTROL_SOCKET.test(name))
    .sort((a, b) => generation(a) - generation(b))
    .map((name) => join(runtimeDir, name));
}

export function daemonLogPath(runtimeDir: string): string {
  return join(runtimeDir, DAEMON_LOG_NAME);
}

function currentUid(): number {
  // process.getuid is absent only on Windows, which tsmosh-server does not support (node-pty's unix backend).
  return process.getuid?.() ?? 0;
}
