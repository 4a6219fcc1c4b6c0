import { describe, expect, it } from 'vitest';
import { QUIET_BYTES_PER_PROBE, QUIET_PROBE_MS, waitForQuietLink } from './quiet-link.js';
import type { LinkTraffic } from './link-process.js';

/** A link whose down bytes grow by `perProbe[i]` in probe i (then by nothing), on a clock moved only by the sleeps. */
function fakeLink(perProbe: readonly number[]) {
  let probe = 0;
  let downBytes = 0;
  const traffic = async (): Promise<LinkTraffic> => ({ upPackets: 0, upBytes: 0, downPackets: 0, downBytes, dropped: 0 });
  const sleep = async (): Promise<void> => {
    downBytes += perProbe[probe++] ?? 0;
  };
  return { traffic, sleep };
}

describe('waitForQuietLink', () => {
  it('waits out a catch-up and returns after two quiet probes in a row', async () => {
    const { traffic, sleep } = fakeLink([40_000, 9_000, 300, 2_000, 200, 100]);
    // Probes 3 and 5 alone are quiet; 5 and 6 are two in a row.
    expect(await waitForQuietLink(traffic, 30_000, sleep)).toEqual({ waitedMs: 6 * QUIET_PROBE_MS, quiet: true });
  });

  it('gives up at the bound on a link that never goes quiet, and says so', async () => {
    const { traffic, sleep } = fakeLink(Array.from({ length: 100 }, () => QUIET_BYTES_PER_PROBE));
    expect(await waitForQuietLink(traffic, 5 * QUIET_PROBE_MS, sleep)).toEqual({ waitedMs: 5 * QUIET_PROBE_MS, quiet: false });
  });
});
