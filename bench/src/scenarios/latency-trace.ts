/**
 * Where the loopback milliseconds go (issue 18): `tsmosh --local -- cat` in a real pty, both ends tracing
 * (TSMOSH_TRACE), isolated keystrokes typed at a person's pace with prediction off (so every key waits for its real
 * echo), and each keystroke's path taken apart step by step (trace-report.ts). The trace's own cost (one
 * synchronous append per step, tens of microseconds) is inside the figures.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.js';
import { keystrokesOf, reportRows } from '../trace-report.js';
import { median } from '../stats.js';
import { benchTempDir } from '../run-folder.js';

const TSMOSH_BIN = fileURLToPath(new URL('../../../packages/cli/bin/tsmosh.js', import.meta.url));
/** Keys per pass; the gap between them (ms) is a fast typist's, long enough that each echo is isolated. */
const KEYS = { quick: 40, full: 200 } as const;
const KEY_GAP_MS = 120;
const READY = 'TRACE-READY';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(context: BenchContext): Promise<ScenarioResult> {
  const dir = benchTempDir('tsmosh-trace-');
  const trace = join(dir, 'trace.log');
  const runtime = join(dir, 'rt');
  try {
    const env = { ...process.env, TSMOSH_TRACE: trace, TSMOSH_RUNTIME_DIR: runtime, LANG: 'C.UTF-8', TERM: 'xterm-256color' } as Record<string, string>;
    const term = pty.spawn(process.execPath, [TSMOSH_BIN, '--local', '--predict=never', '--', 'sh', '-c', `echo ${READY}; exec cat`], { cols: 80, rows: 24, env });
    let output = '';
    term.onData((data) => (output += data));
    const deadline = Date.now() + 30_000;
    while (!output.includes(READY)) {
      if (Date.now() > deadline) throw new Error(`tsmosh --local never showed ${READY}`);
      await sleep(50);
    }
    await sleep(500);
    const keys = KEYS[context.mode];
    for (let i = 0; i < keys; i++) {
      term.write(String.fromCharCode(97 + (i % 26)));
      await sleep(KEY_GAP_MS);
    }
    term.write('\x1e.');
    await sleep(1000);
    term.kill();
    const measured = keystrokesOf(readFileSync(trace, 'utf8'));
    context.log(`  ${measured.length} of ${keys} keystrokes traced end to end; median ${median(measured.map((k) => k.totalMs)).toFixed(2)} ms`);
    return {
      notes: [
        `${measured.length} of ${keys} isolated keystrokes (${KEY_GAP_MS} ms apart, prediction off) into \`cat\` through \`tsmosh --local\` on loopback (no link emulation), traced at both ends; a step is the first of its kind after the one before.`,
      ],
      tables: [{ caption: 'One keystroke on loopback, step by step (ms)', columns: ['from → to', 'median', 'p90'], rows: reportRows(measured) }],
      data: { keys, measured },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const latencyTrace: Scenario = { name: 'latency-trace', title: 'Where the loopback milliseconds of a keystroke go', run };
