/**
 * `node bench/dist/large-state.js [seeds]`: large-state delivery under loss, simulated (sim/large-state.ts), as
 * markdown tables: one 40-fragment state (time until the client holds it, over `seeds` seeds, 30 s at most), and a
 * screen of 40 fragments redrawn every second and every half second for 20 s (states shown within a second, how late, and the daemon's datagrams). Deterministic
 * and cheap (seconds): run it in two worktrees to compare builds.
 */
import { runLargeState } from './sim/large-state.js';

const seeds = Number(process.argv[2] ?? 20);
const RTT_MS = 100;
const STATE_BYTES = 48_000;
const LOSSES = [0, 0.05, 0.1, 0.2];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const fmt = (ms: number | undefined): string => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`);

process.stdout.write(`One ${STATE_BYTES}-byte state (40 fragments), ${RTT_MS} ms RTT, ${seeds} seeds, 30 s at most\n\n`);
process.stdout.write('| loss each way | arrived | median | p90 | max (of those arrived) | daemon datagrams (median) | resends reusing IDs (median) |\n|---|---|---|---|---|---|---|\n');
for (const loss of LOSSES) {
  const delays: number[] = [];
  const datagrams: number[] = [];
  const reused: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const r = runLargeState({ loss, rttMs: RTT_MS, stateBytes: STATE_BYTES, seed, durationMs: 30_000 });
    if (r.delays[0] !== undefined) delays.push(r.delays[0]);
    datagrams.push(r.serverDatagrams);
    reused.push(r.reusedInstructions);
  }
  delays.sort((a, b) => a - b);
  datagrams.sort((a, b) => a - b);
  reused.sort((a, b) => a - b);
  const some = delays.length > 0;
  process.stdout.write(
    `| ${loss * 100} % | ${delays.length}/${seeds} | ${fmt(some ? quantile(delays, 0.5) : undefined)} | ${fmt(some ? quantile(delays, 0.9) : undefined)} | ${fmt(some ? delays[delays.length - 1] : undefined)} | ${quantile(datagrams, 0.5)} | ${quantile(reused, 0.5)} |\n`,
  );
}

for (const everyMs of [1000, 500]) {
  const draws = 20_000 / everyMs;
  process.stdout.write(`\nA ${STATE_BYTES}-byte state redrawn every ${everyMs} ms for 20 s, ${RTT_MS} ms RTT, ${seeds} seeds (${draws * seeds} states)\n\n`);
  process.stdout.write('| loss each way | shown within 1 s | shown at all | median delay of those shown | p90 | daemon datagrams (median) |\n|---|---|---|---|---|---|\n');
  for (const loss of LOSSES) {
    let total = 0;
    let inTime = 0;
    const shown: number[] = [];
    const datagrams: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const r = runLargeState({ loss, rttMs: RTT_MS, stateBytes: STATE_BYTES, seed, redrawEveryMs: everyMs, durationMs: 20_000 });
      datagrams.push(r.serverDatagrams);
      for (const delay of r.delays) {
        total++;
        if (delay === undefined) continue;
        shown.push(delay);
        if (delay < 1000) inTime++;
      }
    }
    shown.sort((a, b) => a - b);
    datagrams.sort((a, b) => a - b);
    process.stdout.write(
      `| ${loss * 100} % | ${inTime}/${total} | ${shown.length}/${total} | ${fmt(shown.length > 0 ? quantile(shown, 0.5) : undefined)} | ${fmt(shown.length > 0 ? quantile(shown, 0.9) : undefined)} | ${quantile(datagrams, 0.5)} |\n`,
    );
  }
}
