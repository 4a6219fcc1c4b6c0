/**
 * The thin-link flood alone, over many link seeds (issue 18): thin-link.ts's run for each chosen system and seed, and
 * its local reference, without the lossy-link scenario's shell session, traces and idle minute around it (about
 * 10 s a run instead of 3 min). What sessions 20–22 drove by hand to compare builds seed by seed.
 *
 *   node bench/dist/lossy/thin-seeds.js [--seeds 31-42] [--systems local,tsmosh,mosh] [--out FILE] [--trace DIR]
 *
 * - `--seeds`: a list or ranges (`31-42`, `31,34,40`); every system runs on a seed before the next seed starts.
 * - `--systems`: in the order run; `local` is the local reference (no network: tmux's own Ctrl-C time under the flood),
 *   the others as TSMOSH_BENCH_SYSTEMS names them (ssh and tsmosh-tcp start network namespaces and an sshd).
 * - `--out FILE`: each run appended as one JSON line (seed, system, wall-clock time, load average, the run).
 * - `--trace DIR`: TSMOSH_TRACE for both ends and the harness, one file per seed and system (trace-report.ts reads them).
 * Runs from the worktree it is built in, against that worktree's tsmosh: alternate two worktrees' copies for an A/B.
 * Take the bench lock around it (`flock /tmp/tsmosh-bench.lock node …`), a seed or two at a time on a shared machine.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINKS } from '../scenarios/lossy-link.js';
import { LATENCY_TRACE_ENV } from '@tsmosh/protocol';
import { percentile } from '../stats.js';
import { createNamespaces, deleteNamespaces, type NamespacePair } from './link-host.js';
import { NamespacedSshd, type SystemContext, type SystemName } from './systems.js';
import { LOCAL_REFERENCE, THIN_GOAL_RTTS, THIN_LINK, runThinFlood, runThinReference, tmuxBlocked, type ThinFloodRun } from './thin-link.js';

const KNOWN_SYSTEMS = ['tsmosh', 'tsmosh-returning', 'tsmosh-tcp', 'mosh', 'ssh', 'node-relay'];

/** `31-42,50` → 31 … 42, 50. */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').flatMap((part) => {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (match === null) throw new Error(`--seeds ${text}: "${part}" is not a seed or a range; give e.g. 31-42 or 31,34,40`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new Error(`--seeds ${text}: the range ${part} runs backwards`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
  return seeds;
}

/**
 * One run in a line, as the journal's tables give it: first key / echo p95 / Ctrl-C → prompt in ms, `(k)` when the
 * first key's epoch began at a known prompt, the guesses erased, whether tmux had stopped drawing around Ctrl-C (its
 * discard count grew: the prompt waited for its 100 ms timer), and whether both goals were met.
 */
export function runLine(run: ThinFloodRun, goalMs: number): string {
  const ms = (value: number | null): string => (value === null ? '∞' : String(Math.round(value)));
  const p95 = percentile(run.echoMs.map((v) => v ?? Infinity), 95);
  const met = p95 <= goalMs && run.ctrlCMs !== null && run.ctrlCMs <= goalMs;
  const extras = [
    run.engine?.knownPrompt === true ? '(k)' : '',
    run.engine !== undefined && run.engine.erased > 0 ? `${run.engine.erased} erased` : '',
    run.floodEndedFirst ? 'flood ended before Ctrl-C' : '',
    tmuxBlocked(run) ? 'tmux blocked at Ctrl-C' : '',
    met ? 'both met' : '',
  ].filter((x) => x !== '');
  return `${ms(run.echoMs[0] ?? null)} / ${Number.isFinite(p95) ? Math.round(p95) : '∞'} / ${ms(run.ctrlCMs)}${extras.length > 0 ? ` ${extras.join(', ')}` : ''}`;
}

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

async function main(args: readonly string[]): Promise<void> {
  const seeds = parseSeeds(option(args, '--seeds') ?? '31-42');
  const systems = (option(args, '--systems') ?? `${LOCAL_REFERENCE},tsmosh,mosh`).split(',').filter((s) => s !== '');
  const unknown = systems.filter((s) => s !== LOCAL_REFERENCE && !KNOWN_SYSTEMS.includes(s));
  if (unknown.length > 0) throw new Error(`--systems: unknown ${unknown.join(', ')}; choose from ${[LOCAL_REFERENCE, ...KNOWN_SYSTEMS].join(', ')}`);
  const out = option(args, '--out');
  const traceDir = option(args, '--trace');
  if (traceDir !== undefined) mkdirSync(traceDir, { recursive: true });
  const link = LINKS.find((l) => l.name === THIN_LINK)!;
  const goalMs = THIN_GOAL_RTTS * link.rttMs;
  const log = (m: string): void => void process.stderr.write(`${m}\n`);

  // Namespaces and sshd only for the systems that need them.
  const needsNamespaces = systems.some((s) => s === 'ssh' || s === 'tsmosh-tcp');
  const pair: NamespacePair | undefined = needsNamespaces ? createNamespaces() : undefined;
  const sshd = pair === undefined ? undefined : new NamespacedSshd(pair);
  try {
    await sshd?.start();
    const context = { pair, sshd } as SystemContext;
    for (const seed of seeds) {
      for (const system of systems) {
        const at = new Date().toISOString().slice(11, 19);
        const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
        const tracePath = traceDir === undefined ? undefined : join(traceDir, `seed${seed}-${system}.trace`);
        if (tracePath !== undefined) process.env[LATENCY_TRACE_ENV] = tracePath;
        let run: ThinFloodRun | undefined;
        let error: string | undefined;
        try {
          run = system === LOCAL_REFERENCE ? await runThinReference(log) : await runThinFlood(system as SystemName, context, link, seed, log);
        } catch (e) {
          error = (e as Error).message;
        } finally {
          delete process.env[LATENCY_TRACE_ENV];
        }
        process.stdout.write(`${at} load ${load} seed ${seed} ${system}: ${run === undefined ? `failed: ${error!.split('\n')[0]}` : runLine(run, goalMs)}\n`);
        if (out !== undefined) appendFileSync(out, `${JSON.stringify({ seed, system, at, load: Number(load), ...(run !== undefined ? { run } : { error }), ...(tracePath !== undefined ? { trace: tracePath } : {}) })}\n`);
      }
    }
  } finally {
    await sshd?.stop();
    if (pair !== undefined) deleteNamespaces(pair);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: Error) => {
      process.stderr.write(`thin-seeds: ${error.message}\n`);
      process.exit(1);
    },
  );
}
