/**
 * TSMOSH_BENCH_PIN: the lossy-link bench with the user's laptop and the server on separate cores.
 *
 * In real use the client runs on the user's machine and the daemon on the server: the two never take a core from
 * each other, nor from the program the user runs. On this bench's machine (2 cores) all of them share both cores,
 * so an Enter's program (bash and its command) waits for the cores while the two ends work on its earlier writes
 * (the journal's "Enter → output", session 14). With the option set, every system is run alike with
 * - the laptop side on one core: the harness's terminal (this process: it reads the client's pty), the client
 *   (tsmosh-client, mosh-client, ssh) and, in the local reference run, nothing but the harness;
 * - the server side on the other: the daemon (tsmosh-server, mosh-server, sshd) and the program in its pty (they
 *   inherit the affinity), and the program of the local reference run (so "beyond the local reference" subtracts a
 *   program that ran on the same core as in the measured run);
 * - the emulated link (the link process, a stand-in for the network, which is neither machine) on either core.
 * What it models: two machines of one core each. What it does not: the other jobs on this machine, which still land on
 * both cores (and a pinned process cannot move off a core one of them takes, as an unpinned one does: a pinned run's
 * tails on a shared machine are the load's), and a laptop or server with more cores than one. Its figures go beside the unpinned ones, never
 * instead of them.
 *
 * Values: unset or empty: off; `1`: laptop on CPU 0, server on CPU 1; `L:S`: CPU lists for taskset (`0:1`, `0-1:2-3`).
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/** Where a process runs: the user's machine, the server, or the emulated link between them. */
export type Side = 'laptop' | 'server' | 'link';

export interface CpuSides {
  /** taskset CPU lists (`0`, `0-1`, `0,2`). */
  readonly laptop: string;
  readonly server: string;
  /** Every CPU, for the link. */
  readonly all: string;
}

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** The CPUs a list names (`0-2,5` → 0, 1, 2, 5). */
function cpusOf(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [from, to] = part.split('-').map(Number) as [number, number | undefined];
    const out: number[] = [];
    for (let cpu = from; cpu <= (to ?? from); cpu++) out.push(cpu);
    return out;
  });
}

/** The sides TSMOSH_BENCH_PIN asks for on a machine of `cpuCount` CPUs, or undefined when it is off. */
export function parseCpuSides(value: string | undefined, cpuCount: number): CpuSides | undefined {
  if (value === undefined || value === '') return undefined;
  const all = cpuCount === 1 ? '0' : `0-${cpuCount - 1}`;
  const [laptop, server] = value === '1' ? ['0', '1'] : value.split(':');
  if (laptop === undefined || server === undefined || !CPU_LIST.test(laptop) || !CPU_LIST.test(server)) {
    throw new Error(`TSMOSH_BENCH_PIN=${value}: give 1 (laptop on CPU 0, server on CPU 1) or LAPTOP:SERVER as taskset CPU lists, e.g. 0:1`);
  }
  const l = cpusOf(laptop);
  const s = cpusOf(server);
  const outside = [...l, ...s].filter((cpu) => cpu >= cpuCount);
  if (outside.length > 0) throw new Error(`TSMOSH_BENCH_PIN=${value}: CPU ${outside[0]} is not on this machine (${cpuCount} CPUs); pinning needs at least 2`);
  if (l.some((cpu) => s.includes(cpu))) throw new Error(`TSMOSH_BENCH_PIN=${value}: the laptop and the server share CPU ${l.find((cpu) => s.includes(cpu))}; give them separate CPUs`);
  return { laptop, server, all };
}

/** The command that runs `file args` on `side`'s CPUs: unchanged when pinning is off. */
export function onSide(sides: CpuSides | undefined, side: Side, file: string, args: readonly string[]): { file: string; args: string[] } {
  if (sides === undefined) return { file, args: [...args] };
  const cpus = side === 'laptop' ? sides.laptop : side === 'server' ? sides.server : sides.all;
  return { file: 'taskset', args: ['-c', cpus, file, ...args] };
}

/** Every thread of process `pid` (and the threads it starts later, which inherit it) onto `cpus`. */
export function pinProcess(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The sides this run uses (TSMOSH_BENCH_PIN), read once. */
// os.cpus() lists the machine's CPUs whatever this process's affinity (availableParallelism would not).
export const CPU_SIDES: CpuSides | undefined = parseCpuSides(process.env.TSMOSH_BENCH_PIN, cpus().length);
