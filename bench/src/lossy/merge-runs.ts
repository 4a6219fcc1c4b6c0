/**
 * Merges several lossy-link runs (each `bench/results/lossy-link.json` of a run on chosen links, saved under
 * another name) into one results file and one generated block in docs/benchmarks.md, saying which run each link
 * came from. For a full pass split into runs of a few links (it takes about an hour in one go):
 *   node bench/dist/lossy/merge-runs.js run-a.json run-b.json …
 * A file may also be a results file this tool wrote before (bench/results/lossy-link.json after a merge): its runs
 * are taken as they were, so a new run (the claude trace with several seeds) adds to the published figures.
 * Results are kept per link, link seed (TSMOSH_BENCH_SEED) and system; where several runs hold the same trace for
 * the same link, seed and system, the last file named wins, and traces from different runs are put together.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeMachine, type MachineInfo } from '../machine.js';
import { renderTable, spliceSection } from '../markdown.js';
import { buildTables, LINKS, lossyLink, type LinkCase, type RunResult } from '../scenarios/lossy-link.js';

interface SavedRun {
  readonly mode: string;
  readonly finishedAt: string;
  readonly revision: string;
  readonly wallMs: number;
  readonly machine: MachineInfo;
  readonly notes: readonly string[];
  readonly data: { readonly links: readonly LinkCase[]; readonly results: readonly RunResult[]; readonly traces: ReadonlyArray<{ name: string; keys: number }>; readonly plan: unknown; readonly seed?: number };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node bench/dist/lossy/merge-runs.js RUN.json [RUN.json …] (saved bench/results/lossy-link.json files)\n');
  process.exit(2);
}
/** A results file merge-runs wrote before: its runs, as far as it kept them (links, results, provenance). */
interface MergedFile {
  readonly mode: 'merged';
  readonly runs: ReadonlyArray<{
    readonly mode: string;
    readonly finishedAt: string;
    readonly revision: string;
    readonly wallMs: number;
    readonly links: readonly string[];
    /** The run's own traces and their key counts (absent from files merged before they were kept). */
    readonly traces?: ReadonlyArray<{ name: string; keys: number }>;
  }>;
  readonly machine: MachineInfo;
  readonly notes: readonly string[];
  readonly data: { readonly links: readonly LinkCase[]; readonly traces: readonly string[]; readonly results: readonly RunResult[] };
}

/**
 * The runs of one file: a run's own results file, or a merged one (the block in docs/benchmarks.md comes from one),
 * so new runs (the claude trace's seeds) can be added to the figures already published without rerunning them.
 */
function runsOf(file: string): SavedRun[] {
  const content = JSON.parse(readFileSync(file, 'utf8')) as SavedRun | MergedFile;
  if (content.mode !== 'merged') return [content as SavedRun];
  const merged = content as MergedFile;
  return merged.runs.map((run) => {
    const results = merged.data.results.filter((r) => run.links.includes(r.link));
    // The run's own traces when the file kept them; a file merged before they were kept has only the merged results,
    // whose traces on a link may come from several runs, so this guess can name a trace another run produced.
    const traces =
      run.traces ??
      merged.data.traces.map((name) => ({ name, keys: Math.max(0, ...results.flatMap((r) => r.traces.filter((t) => t.trace === name).map((t) => t.keys.length))) }));
    return {
      mode: run.mode,
      finishedAt: run.finishedAt,
      revision: run.revision,
      wallMs: run.wallMs,
      machine: merged.machine,
      notes: [],
      data: { links: merged.data.links.filter((l) => run.links.includes(l.name)), results, traces: traces.filter((t) => t.keys > 0), plan: { idleMs: results.find((r) => r.idle !== undefined)?.idle?.ms ?? NaN } },
    };
  });
}

const runs = files.flatMap((file) => runsOf(file).map((run) => ({ file, run })));
const seedOf = (run: SavedRun, result: RunResult): number => result.seed ?? run.data.seed ?? 7;
// One result per link, seed and system; a later run's traces replace an earlier one's of the same name and add the
// others (a claude-only run on a link adds its trace to the full pass's shell, vim and ink of the same seed).
const merged = new Map<string, { result: RunResult; files: Set<string> }>();
const linkCases = new Map<string, LinkCase>();
for (const { file, run } of runs) {
  for (const link of run.data.links) linkCases.set(link.name, link);
  for (const result of run.data.results) {
    const key = `${result.link}|${seedOf(run, result)}|${result.system}`;
    const earlier = merged.get(key);
    const withSeed: RunResult = { ...result, seed: seedOf(run, result) };
    if (earlier === undefined) {
      merged.set(key, { result: withSeed, files: new Set([file]) });
      continue;
    }
    const names = new Set(result.traces.map((t) => t.trace));
    // The shell trace's session carries Ctrl-C, bulk, connect and idle: keep them from the run that has it.
    const base = result.traces.some((t) => t.trace === 'shell') || result.error !== undefined ? withSeed : earlier.result;
    merged.set(key, {
      result: { ...base, traces: [...earlier.result.traces.filter((t) => !names.has(t.trace)), ...result.traces], traceErrors: [...(earlier.result.traceErrors ?? []).filter((e) => !names.has(e.trace)), ...(result.traceErrors ?? [])] },
      files: new Set([...earlier.files, file]),
    });
  }
}
// In the scenario's own order of links, whatever the order of the files.
const order = (link: LinkCase): number => LINKS.findIndex((l) => l.name === link.name);
const links = [...linkCases.values()].sort((a, b) => order(a) - order(b));
const results = links.flatMap((link) => [...merged.values()].map((m) => m.result).filter((r) => r.link === link.name));
const traceNames = [...new Set(runs.flatMap(({ run }) => run.data.traces.map((t) => t.name)))];
const { tables, notes } = buildTables(links, results, traceNames);
// The charts (each run drew its links' CDFs into docs/charts/): every one there for a merged link and trace.
const chartsDir = fileURLToPath(new URL('../../../docs/charts/', import.meta.url));
const charts = links.flatMap((link) => traceNames.filter((trace) => existsSync(`${chartsDir}lossy-link-${link.name}-${trace}.svg`)).map((trace) => `![${link.label}, ${trace}](charts/lossy-link-${link.name}-${trace}.svg)`));
if (charts.length > 0) notes.push(`Latency distributions (share of keys on screen by time, all keys of the trace):\n\n${charts.map((chart) => `  ${chart}`).join('\n')}`);

const provenance = runs.map(
  ({ run }) =>
    `${run.data.links.map((l) => l.label).join(' · ')} (link seed ${run.data.seed ?? 7}): \`${run.mode}\` pass finished ${run.finishedAt.replace('T', ' ').slice(0, 16)} UTC, source ${run.revision}, ${(run.wallMs / 1000).toFixed(0)} s wall time; traces ${run.data.traces.filter((t) => t.name === 'shell' || run.data.links.some((l) => l.blackout === undefined)).map((t) => `${t.name} (${t.keys} keys)`).join(', ')}${run.data.traces.some((t) => t.name === 'shell') && Number.isFinite((run.data.plan as { idleMs: number }).idleMs) ? `, idle spell ${((run.data.plan as { idleMs: number }).idleMs / 1000).toFixed(0)} s` : ''}`,
);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const body = [
  `Merged by \`bench/src/lossy/merge-runs.ts\` from ${runs.length} runs on chosen links (\`TSMOSH_BENCH_LINKS\`), traces (\`TSMOSH_BENCH_TRACES\`) and link seeds (\`TSMOSH_BENCH_SEED\`), on ${describeMachine(runs[0]!.run.machine)}, a machine shared with other jobs (figures are comparable within a run, between systems):`,
  ...provenance.map((line) => `- ${line}`),
  '',
  ...notes.map((note) => `- ${note}`),
  '',
  ...tables.flatMap((table) => [renderTable(table), '']),
].join('\n');
const docsPath = `${root}docs/benchmarks.md`;
writeFileSync(docsPath, spliceSection(readFileSync(docsPath, 'utf8'), lossyLink.name, body, lossyLink.title));
writeFileSync(
  `${root}bench/results/lossy-link.json`,
  `${JSON.stringify({ scenario: lossyLink.name, title: lossyLink.title, mode: 'merged', runs: runs.map(({ file, run }) => ({ file, mode: run.mode, finishedAt: run.finishedAt, revision: run.revision, wallMs: run.wallMs, links: run.data.links.map((l) => l.name), traces: run.data.traces })), machine: runs[0]!.run.machine, notes, tables, data: { links, traces: traceNames, results } }, null, 2)}\n`,
);
process.stderr.write(`merged ${results.length} results on ${links.length} links from ${runs.length} runs into bench/results/lossy-link.json and docs/benchmarks.md\n`);
