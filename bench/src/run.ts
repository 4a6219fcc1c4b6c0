/**
 * The benchmark runner: `npm run bench` (quick pass, well under 5 minutes) or `npm run bench:full`.
 *   node bench/dist/run.js [--quick | --full] [--only NAME[,NAME…]] [--no-docs]
 * Writes bench/results/<name>.json per scenario and refreshes that scenario's tables in docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { describeMachine, machineInfo } from './machine.js';
import { renderTable, spliceSection } from './markdown.js';
import type { BenchMode } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';

const USAGE = 'usage: node bench/dist/run.js [--quick | --full] [--only NAME[,NAME...]] [--no-docs]';

interface Options {
  mode: BenchMode;
  only: string[] | undefined;
  writeDocs: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { mode: 'quick', only: undefined, writeDocs: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.mode = 'quick';
    else if (arg === '--full') options.mode = 'full';
    else if (arg === '--no-docs') options.writeDocs = false;
    else if (arg === '--only' && argv[i + 1] !== undefined) options.only = argv[++i]!.split(',');
    else throw new Error(`bench: unknown argument "${arg}"\n${USAGE}`);
  }
  const known = new Set(SCENARIOS.map((s) => s.name));
  for (const name of options.only ?? []) {
    if (!known.has(name)) throw new Error(`bench: no scenario named "${name}"; known: ${[...known].join(', ')}`);
  }
  return options;
}

/** The commit the figures come from, and whether the working tree differed from it (then they may not reproduce). */
function sourceRevision(root: string): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'packages', 'bench'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} with uncommitted changes in packages/ or bench/` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  // TSMOSH_BENCH_RESULTS_DIR: another directory for the results files, so runs on chosen links can go side by side.
  const resultsDir = process.env.TSMOSH_BENCH_RESULTS_DIR !== undefined ? `${process.env.TSMOSH_BENCH_RESULTS_DIR.replace(/\/$/, '')}/` : `${root}bench/results/`;
  const docsPath = `${root}docs/benchmarks.md`;
  const docsChartsDir = `${root}docs/charts/`;
  await mkdir(resultsDir, { recursive: true });
  const machine = machineInfo();
  const revision = sourceRevision(root);
  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  log(`bench (${options.mode}) on ${describeMachine(machine)}`);

  let docs = await readFile(docsPath, 'utf8').catch(() => '# Benchmarks\n');
  for (const scenario of SCENARIOS) {
    if (options.only !== undefined && !options.only.includes(scenario.name)) continue;
    log(`\n== ${scenario.name}: ${scenario.title}`);
    const startedAt = performance.now();
    const result = await scenario.run({ mode: options.mode, log, chartsDir: options.writeDocs ? docsChartsDir : resultsDir });
    const wallMs = Math.round(performance.now() - startedAt);
    const finishedAt = new Date().toISOString();
    await writeFile(
      `${resultsDir}${scenario.name}.json`,
      `${JSON.stringify({ scenario: scenario.name, title: scenario.title, mode: options.mode, finishedAt, revision, wallMs, machine, notes: result.notes, tables: result.tables, data: result.data }, null, 2)}\n`,
    );
    const body = [
      `Last run: ${finishedAt.slice(0, 10)}, \`${options.mode}\` pass, source ${revision}, ${(wallMs / 1000).toFixed(1)} s wall time, on ${describeMachine(machine)}.`,
      '',
      ...result.notes.map((note) => `- ${note}`),
      '',
      ...result.tables.flatMap((table) => [renderTable(table), '']),
    ].join('\n');
    docs = spliceSection(docs, scenario.name, body, scenario.title);
    for (const table of result.tables) log(`\n${renderTable(table)}`);
    log(`\n${scenario.name}: ${wallMs} ms wall; results in ${resultsDir}${scenario.name}.json`);
  }
  if (options.writeDocs) {
    await writeFile(docsPath, docs);
    log(`tables written to docs/benchmarks.md`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
