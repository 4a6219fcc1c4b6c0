/**
 * Waits until a link carries no more than keep-alive traffic, so that an idle measurement starts once what came
 * before it has been delivered. After `seq 1 300000` tsmosh still syncs the tail of the scrollback for a second or
 * more on a link with delay (mosh and ssh have nothing left to send); counting that as the idle minute's cost made
 * the LAN's idle minute 3–4× mosh's.
 */
import type { LinkTraffic } from './link-process.js';

/** A look at the link's counters every this long (ms). */
export const QUIET_PROBE_MS = 1000;
/**
 * Bytes per probe below which the link counts as quiet: heartbeats and their acknowledgements are a few hundred bytes
 * a second at most (one ~100-byte datagram each way per 3 s), a history catch-up tens of KB.
 */
export const QUIET_BYTES_PER_PROBE = 1024;
/** Probes in a row that must be quiet. */
export const QUIET_PROBES = 2;

export interface QuietLinkWait {
  /** ms waited until quiet (or until the bound). */
  readonly waitedMs: number;
  /** Whether the link went quiet before `boundMs`. */
  readonly quiet: boolean;
}

/** Resolves once QUIET_PROBES probes in a row each saw under QUIET_BYTES_PER_PROBE bytes, or after `boundMs`. */
export async function waitForQuietLink(traffic: () => Promise<LinkTraffic>, boundMs: number, sleep: (ms: number) => Promise<void>): Promise<QuietLinkWait> {
  let quietProbes = 0;
  let waitedMs = 0;
  let before = await traffic();
  while (waitedMs < boundMs) {
    await sleep(QUIET_PROBE_MS);
    waitedMs += QUIET_PROBE_MS;
    const now = await traffic();
    const bytes = now.upBytes - before.upBytes + now.downBytes - before.downBytes;
    before = now;
    quietProbes = bytes < QUIET_BYTES_PER_PROBE ? quietProbes + 1 : 0;
    if (quietProbes >= QUIET_PROBES) return { waitedMs, quiet: true };
  }
  return { waitedMs, quiet: false };
}
