/** A process's resident memory as Linux reports it in /proc/PID/status: now (VmRSS) and its peak so far (VmHWM). */
import { readFileSync } from 'node:fs';

export interface ProcessMemory {
  /** Resident set now, KiB. */
  readonly rssKiB: number;
  /** The highest resident set the process has had, KiB. */
  readonly peakKiB: number;
}

/** Reads VmRSS and VmHWM out of a /proc/PID/status text; undefined if either is missing (a zombie has neither). */
export function parseProcStatus(text: string): ProcessMemory | undefined {
  const field = (name: string): number | undefined => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match === null ? undefined : Number(match[1]);
  };
  const rssKiB = field('VmRSS');
  const peakKiB = field('VmHWM');
  return rssKiB === undefined || peakKiB === undefined ? undefined : { rssKiB, peakKiB };
}

/** The memory of process `pid` now; undefined once it is gone. */
export function processMemory(pid: number): ProcessMemory | undefined {
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}
