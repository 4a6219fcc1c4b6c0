/** The daemon's chaff randomness: a RandomPool (@tsmosh/protocol random-pool.ts) filled from node:crypto. */
import { randomFillSync } from 'node:crypto';
import { RandomPool } from '@tsmosh/protocol';

/** The daemon's chaff pool: one per process, shared by its sessions' links. */
const chaffPool = new RandomPool((into) => void randomFillSync(into));

/** A RandomSource (@tsmosh/protocol) for chaff, drawing from the process's pool. */
export function chaffRandom(length: number): Uint8Array {
  return chaffPool.take(length);
}
