/** CPU time and peak resident memory of server processes, read from /proc (Linux). */
import { readFileSync, readdirSync } from 'node:fs';

/** /proc/<pid>/stat counts CPU in clock ticks: 100 per second on Linux (USER_HZ; `getconf CLK_TCK`). */
const MS_PER_TICK = 10;

export interface ProcessUsage {
  /** User + system CPU time (ms). */
  readonly cpuMs: number;
  /** Peak resident set (VmHWM, KiB). */
  readonly peakRssKiB: number;
}

export function processUsage(pid: number): ProcessUsage | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const peakRssKiB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuMs, peakRssKiB };
  } catch {
    return undefined; // exited
  }
}

/** Processes whose parent chain reaches `ancestor` (not `ancestor` itself), with their command names. */
export function descendants(ancestor: number): Array<{ pid: number; name: string }> {
  const parents = new Map<number, { parent: number; name: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), { parent, name });
    } catch {
      // exited while we looked
    }
  }
  const found: Array<{ pid: number; name: string }> = [];
  for (const [pid, { name }] of parents) {
    for (let up = parents.get(pid)?.parent; up !== undefined && up > 1; up = parents.get(up)?.parent) {
      if (up === ancestor) {
        found.push({ pid, name });
        break;
      }
    }
  }
  return found;
}

/**
 * Follows a changing set of server processes (sshd forks per connection), keeping each one's last CPU reading
 * after it exits, so totals never go backwards. Summed over the set.
 */
export class UsageTracker {
  private readonly last = new Map<number, ProcessUsage>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: () => number[], sampleMs = 200) {
    this.timer = setInterval(() => this.sample(), sampleMs);
    this.sample();
  }

  sample(): ProcessUsage {
    for (const pid of this.pids()) {
      const usage = processUsage(pid);
      if (usage !== undefined) this.last.set(pid, usage);
    }
    let cpuMs = 0;
    let peakRssKiB = 0;
    for (const usage of this.last.values()) {
      cpuMs += usage.cpuMs;
      peakRssKiB += usage.peakRssKiB;
    }
    return { cpuMs, peakRssKiB };
  }

  stop(): ProcessUsage {
    const final = this.sample();
    clearInterval(this.timer);
    return final;
  }
}
