/**
 * A process's memory as Linux reports it: resident now (VmRSS) and its peak so far (VmHWM) from /proc/PID/status,
 * and the part of the resident set that is its own (Private_Clean + Private_Dirty in /proc/PID/smaps_rollup). The
 * rest is shared with other processes: for a Node.js client mostly the pages of the node binary every Node process
 * on the machine maps (about 34 MB of a bare node's 40 MB here), which a native client does not carry.
 */
import { readFileSync } from 'node:fs';

export interface ProcessMemory {
  /** Resident set now, KiB. */
  readonly rssKiB: number;
  /** The highest resident set the process has had, KiB. */
  readonly peakKiB: number;
  /** Resident pages no other process shares, KiB; undefined where smaps_rollup cannot be read. */
  readonly privateKiB?: number;
}

function kibField(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
  return match === null ? undefined : Number(match[1]);
}

/** Reads VmRSS and VmHWM out of a /proc/PID/status text; undefined if either is missing (a zombie has neither). */
export function parseProcStatus(text: string): ProcessMemory | undefined {
  const rssKiB = kibField(text, 'VmRSS');
  const peakKiB = kibField(text, 'VmHWM');
  return rssKiB === undefined || peakKiB === undefined ? undefined : { rssKiB, peakKiB };
}

/** Private_Clean + Private_Dirty of a /proc/PID/smaps_rollup text, KiB; undefined if missing. */
export function parsePrivateKiB(smapsRollup: string): number | undefined {
  const clean = kibField(smapsRollup, 'Private_Clean');
  const dirty = kibField(smapsRollup, 'Private_Dirty');
  return clean === undefined || dirty === undefined ? undefined : clean + dirty;
}

/** The memory of process `pid` now; undefined once it is gone. */
export function processMemory(pid: number): ProcessMemory | undefined {
  let status: ProcessMemory | undefined;
  try {
    status = parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
  if (status === undefined) return undefined;
  let privateKiB: number | undefined;
  try {
    privateKiB = parsePrivateKiB(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    privateKiB = undefined; // a kernel before 4.14, or the process ended between the two reads
  }
  return privateKiB === undefined ? status : { ...status, privateKiB };
}
