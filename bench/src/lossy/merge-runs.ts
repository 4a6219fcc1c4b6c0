/**
 * Merges several lossy-link runs (each `bench/results/lossy-link.json` of a run on chosen links, saved under
 * another name) into one results file and one generated block in docs/benchmarks.md, saying which run each link
 * came from. For a full pass split into runs of a few links (it takes about an hour in one go):
 *   node bench/dist/lossy/merge-runs.js run-a.json run-b.json …
 * A link present in several runs is taken from the last file named.
 */
import { readFileSync, writeFileSync } from 'node:fs';
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
  readonly data: { readonly links: readonly LinkCase[]; readonly results: readonly RunResult[]; readonly traces: ReadonlyArray<{ name: string; keys: number }>; readonly plan: unknown };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node bench/dist/lossy/merge-runs.js RUN.json [RUN.json …] (saved bench/results/lossy-link.json files)\n');
  process.exit(2);
}
const runs = files.map((file) => ({ file, run: JSON.parse(readFileSync(file, 'utf8')) as SavedRun }));
const linkSource = new Map<string, { link: LinkCase; results: RunResult[]; file: string; run: SavedRun }>();
for (const { file, run } of runs) {
  for (const link of run.data.links) linkSource.set(link.name, { link, results: run.data.results.filter((r) => r.link === link.name), file, run });
}
// In the scenario's own order of links, whatever the order of the files.
const order = (link: LinkCase): number => LINKS.findIndex((l) => l.name === link.name);
const links = [...linkSource.values()].map((s) => s.link).sort((a, b) => order(a) - order(b));
const results = links.flatMap((link) => linkSource.get(link.name)!.results);
const traceNames = [...new Set(runs.flatMap(({ run }) => run.data.traces.map((t) => t.name)))];
const { tables, notes } = buildTables(links, results, traceNames);
// Each run's own chart note (its links' CDFs).
for (const { run } of runs) notes.push(...run.notes.filter((note) => note.startsWith('Latency distributions')));

const provenance = runs.map(
  ({ file, run }) =>
    `${run.data.links.filter((l) => linkSource.get(l.name)?.file === file).map((l) => l.label).join(' · ')}: \`${run.mode}\` pass finished ${run.finishedAt.replace('T', ' ').slice(0, 16)} UTC, source ${run.revision}, ${(run.wallMs / 1000).toFixed(0)} s wall time; traces ${run.data.traces.filter((t) => t.name === 'shell' || run.data.links.some((l) => l.blackout === undefined)).map((t) => `${t.name} (${t.keys} keys)`).join(', ')}, idle spell ${((run.data.plan as { idleMs: number }).idleMs / 1000).toFixed(0)} s`,
);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const body = [
  `Merged by \`bench/src/lossy/merge-runs.ts\` from ${runs.length} runs on chosen links (\`TSMOSH_BENCH_LINKS\`); each link's figures come from one run, on ${describeMachine(runs[0]!.run.machine)}:`,
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
  `${JSON.stringify({ scenario: lossyLink.name, title: lossyLink.title, mode: 'merged', runs: runs.map(({ file, run }) => ({ file, mode: run.mode, finishedAt: run.finishedAt, revision: run.revision, wallMs: run.wallMs, links: run.data.links.map((l) => l.name) })), machine: runs[0]!.run.machine, notes, tables, data: { links, traces: traceNames, results } }, null, 2)}\n`,
);
process.stderr.write(`merged ${links.length} links from ${runs.length} runs into bench/results/lossy-link.json and docs/benchmarks.md\n`);
