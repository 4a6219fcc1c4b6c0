/**
 * One daemon per user serves every session, so after an upgrade a `tsmosh-server new` of the new version can find a
 * daemon of the old one still running. It would create the session there, and the client, speaking the new wire,
 * would then wait out its first-contact timeout on datagrams the old daemon cannot read. Before asking for a session,
 * `new` checks the running daemon's wire generation (PROTOCOL_VERSION in its status; daemons older than this check
 * report none): a daemon of another generation holding no session is asked to exit (SIGTERM, its clean shutdown) and
 * a new one starts; one still holding sessions is left alone, and `new` says in one line what to do.
 */
import { PROTOCOL_VERSION } from '@tsmosh/protocol/front';
import { DaemonNotRunningError, requestControl } from './control.js';
import { ServerError } from './errors.js';

/** How long (ms) a daemon of another generation, holding no session, may take to exit after SIGTERM. */
const RETIRE_TIMEOUT_MS = 5000;
/** How often (ms) its control socket is polled meanwhile. */
const RETIRE_POLL_MS = 25;
/** Bound (ms) on the status request: a live daemon answers in a few ms. */
const STATUS_TIMEOUT_MS = 5000;

/**
 * Resolves once no daemon of another generation is in the way: none runs, one of this generation runs, or one of
 * another generation with no session has exited. Rejects with ServerError('daemon-generation') when the other
 * generation still holds sessions.
 */
export async function clearOtherGeneration(socketPath: string, protocol: number = PROTOCOL_VERSION): Promise<void> {
  let status: { pid: number; version: string; sessions: number; protocol?: number };
  try {
    status = await requestControl(socketPath, { op: 'status' }, STATUS_TIMEOUT_MS);
  } catch (error) {
    if (error instanceof DaemonNotRunningError) return;
    throw error;
  }
  if (status.protocol === protocol) return;
  const theirs = status.protocol === undefined ? `a protocol older than ${protocol}` : `protocol ${status.protocol}`;
  if (status.sessions > 0) {
    throw new ServerError(
      'daemon-generation',
      `tsmosh-server: the daemon running here (pid ${status.pid}, tsmosh ${status.version}) speaks ${theirs} and still holds ${status.sessions} session(s); this tsmosh-server speaks protocol ${protocol}. Reattach to them with the older tsmosh, or end them (tsmosh-server list, then tsmosh-server kill NAME), and retry`,
    );
  }
  try {
    process.kill(status.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  for (const deadline = Date.now() + RETIRE_TIMEOUT_MS; Date.now() < deadline; ) {
    try {
      await requestControl(socketPath, { op: 'status' }, STATUS_TIMEOUT_MS);
    } catch (error) {
      if (error instanceof DaemonNotRunningError) return;
      // A daemon in the middle of exiting may reset the connection: it is going, so look again.
      if (!(error instanceof ServerError && error.code === 'daemon-unreachable')) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, RETIRE_POLL_MS));
  }
  throw new ServerError(
    'daemon-generation',
    `tsmosh-server: the idle daemon of another version (pid ${status.pid}, ${theirs}) did not exit within ${RETIRE_TIMEOUT_MS / 1000} s of SIGTERM; end it (kill ${status.pid}) and retry`,
  );
}
