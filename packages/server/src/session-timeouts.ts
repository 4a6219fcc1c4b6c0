/**
 * How long a session lives without a client, and the environment knobs that change it. Kept apart from session.ts
 * so that `tsmosh-server new`, which only checks them and asks the daemon, loads nothing of the pty or the mirror.
 */

/**
 * If no client has sent one authentic datagram by then (ms after start), the session ends: the CONNECT line was
 * never used (the bootstrap failed or the user gave up), and an orphan shell should not live forever. mosh's value.
 */
export const NO_CLIENT_TIMEOUT_MS = 60_000;
/**
 * ms of client silence after which an unnamed session ends when nothing else was asked for (72 h). Nothing can
 * attach to an unnamed session, so once its client is gone for good (SIGKILLed, its machine reinstalled) it would
 * otherwise hold its program and memory in the shared daemon forever; yet a laptop closed over a weekend must find
 * its session again on Monday. Named sessions have no default timeout: they exist to be returned to.
 */
export const UNNAMED_SESSION_IDLE_TIMEOUT_MS = 72 * 60 * 60 * 1000;
/** Environment knob (ms) that shortens NO_CLIENT_TIMEOUT_MS, for tests; read from the session's environment. */
export const NO_CLIENT_TIMEOUT_ENV = 'TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS';
/** Seconds of client silence after which the session ends (unset = never), as MOSH_SERVER_NETWORK_TMOUT. */
export const NETWORK_TIMEOUT_ENV = 'TSMOSH_SERVER_NETWORK_TMOUT';
/** Parses TSMOSH_SERVER_NETWORK_TMOUT: positive integer seconds. Invalid values come back with a warning line. */
export function parseNetworkTimeout(value: string | undefined): { timeoutMs?: number; warning?: string } {
  if (value === undefined || value === '') return {};
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    return {
      warning: `tsmosh-server: ignoring ${NETWORK_TIMEOUT_ENV}=${JSON.stringify(value)}: it must be a positive whole number of seconds`,
    };
  }
  return { timeoutMs: Number(value) * 1000 };
}

/** Reads the test knob that shortens the no-client timeout; anything but a positive integer is ignored. */
export function parseNoClientTimeout(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value.trim()) || Number(value) <= 0) return NO_CLIENT_TIMEOUT_MS;
  return Number(value);
}

/**
 * How long a daemon whose last session ended stays for the next one before it exits (ms). Sessions often come in a
 * row (a script or a test loop running `tsmosh host -- cmd` again and again, mosh's own `repeat` test, a user who
 * reconnects at once), and a daemon already running saves each of them the daemon's start (a Node process loading
 * the pty, the mirror and the transport: about half of a short session's time, docs/benchmarks.md "Start-up").
 * Three seconds covers such a row and leaves nothing running for long after the last.
 */
export const DAEMON_IDLE_LINGER_MS = 3_000;
/** Environment knob (ms, 0 = exit with the last session) that changes DAEMON_IDLE_LINGER_MS; read by the daemon. */
export const DAEMON_IDLE_LINGER_ENV = 'TSMOSH_SERVER_IDLE_LINGER_MS';

/** Reads TSMOSH_SERVER_IDLE_LINGER_MS: a whole number of ms (0 allowed); anything else means the default. */
export function parseIdleLinger(value: string | undefined): number {
  if (value === undefined || !/^\d{1,9}$/.test(value.trim())) return DAEMON_IDLE_LINGER_MS;
  return Number(value);
}
