/**
 * The control socket's capability token: what proves a control request comes from the daemon's own user.
 *
 * The control socket hands out every session's key, so only the daemon's user may use it. The socket and its
 * folder are 0600/0700, but a mode is one chmod away from open (a user "fixing" permissions, a restrictive umask
 * turned permissive). Linux would name the peer's uid (SO_PEERCRED), but Node offers no way to read it, and reading
 * it through /proc or sock_diag means racing the peer. So the daemon writes a fresh random token into a 0600 file
 * beside the socket and every request must carry it: another local user cannot read the file whatever the folder's
 * mode, root can (as root can read the daemon's memory), and no mode change on the socket opens it to anyone else.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ServerError } from './errors.js';

/** bytes of randomness in a token: 256 bits, as a session secret is out of reach of any guess. */
const TOKEN_BYTES = 32;

/**
 * The token file beside a control socket: `control-p8.sock`'s is `control-p8.token`, the legacy `control.sock`'s
 * `control.token`. One per socket, since daemons of two generations may run side by side (runtime-dir.ts).
 */
export function controlTokenPath(socketPath: string): string {
  return join(dirname(socketPath), `${basename(socketPath).replace(/\.sock$/, '')}.token`);
}

/** Writes a fresh token for a daemon about to listen on `socketPath` (0600, atomically) and returns it. */
export function writeControlToken(socketPath: string): string {
  const token = randomBytes(TOKEN_BYTES).toString('hex');
  const path = controlTokenPath(socketPath);
  const temporary = `${path}.${process.pid}`;
  writeFileSync(temporary, `${token}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(temporary, 0o600); // whatever the umask or an old file's mode
  renameSync(temporary, path);
  return token;
}

/** The running daemon's token; throws a one-line ServerError when it cannot be read (not the daemon's user). */
export function readControlToken(socketPath: string): string {
  const path = controlTokenPath(socketPath);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return ''; // no daemon has run here: the request finds no listener either
    throw new ServerError(
      'forbidden',
      `tsmosh-server: cannot read the daemon's control token ${path} (${code ?? (error as Error).message}); run as the user who owns the daemon`,
    );
  }
}

/** Constant-time comparison of a request's token with the daemon's. */
export function tokenMatches(expected: string, offered: unknown): boolean {
  if (typeof offered !== 'string' || offered.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(offered), Buffer.from(expected));
}
