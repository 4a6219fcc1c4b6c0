/**
 * The processes of this machine other than this one, as Linux's /proc shows them (none found elsewhere), for the
 * benches' and fixtures' clean-up: which processes work in, or point at, a folder about to be removed.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcessView {
  readonly cwd: string;
  /** NAME=VALUE, as the process was started (/proc/PID/environ: later changes to its own environment do not show). */
  readonly environment: readonly string[];
}

export function processesMatching(match: (view: ProcessView) => boolean): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const view = { cwd: readlinkSync(`/proc/${entry}/cwd`), environment: readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0') };
      if (match(view)) pids.push(Number(entry));
    } catch {
      // Ended meanwhile, a zombie (no cwd), or another user's: nothing to do with us.
    }
  }
  return pids;
}
