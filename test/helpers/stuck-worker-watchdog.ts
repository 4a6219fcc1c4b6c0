/**
 * A watchdog for each vitest worker (a setup file; vitest.config.ts). vitest's testTimeout is a timer on the test's
 * own thread: a test (or the code under it) that loops synchronously forever never yields to it, so the worker
 * hangs, vitest waits for it, and CI runs into its wall-clock limit with no word of where. This puts a second
 * thread beside the test's: it sees the test thread's heartbeat stop, names the test that was running, leaves that
 * name in `.test-results/stuck-*.txt` for `.ci/run` to print and count as a failure, and kills the worker so the run
 * goes on (vitest reports "Worker exited unexpectedly" and starts the next file in a new one). It cannot take the
 * stuck thread's stack: Node's diagnostic report on a signal and an inspector session to the main thread both wait
 * for that thread's event loop (tried).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { beforeAll, beforeEach, expect } from 'vitest';

/**
 * ms the test thread may go without a heartbeat before its worker is killed. Twice the 60 s testTimeout: the
 * longest synchronous stretch in this suite (a fast-check run over real xterm) takes about 7 s on a loaded
 * 2-core machine, so only a thread that will never come back waits this long.
 * TSMOSH_TEST_STUCK_AFTER_MS overrides it (the watchdog's own test).
 */
const STUCK_AFTER_MS = Number(process.env.TSMOSH_TEST_STUCK_AFTER_MS) || 120_000;
/** ms between heartbeats of the test thread; small beside STUCK_AFTER_MS, cheap beside a test. */
const HEARTBEAT_MS = 1_000;

const heartbeat = new Int32Array(new SharedArrayBuffer(4));
const resultsDir = resolve(process.env.TSMOSH_TEST_RESULTS_DIR ?? '.test-results');
mkdirSync(resultsDir, { recursive: true });

// The watchdog is plain CommonJS evaluated in its thread, so it needs no build and runs under vitest and node alike.
const watchdogSource = `
const { workerData, parentPort } = require('node:worker_threads');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { heartbeat, stuckAfterMs, resultsDir, pid } = workerData;
let running = '(no test has started in this worker)';
parentPort.on('message', (name) => { running = name; });
let lastBeat = Atomics.load(heartbeat, 0);
let lastBeatAt = Date.now();
setInterval(() => {
  const beat = Atomics.load(heartbeat, 0);
  if (beat !== lastBeat) { lastBeat = beat; lastBeatAt = Date.now(); return; }
  const silentMs = Date.now() - lastBeatAt;
  if (silentMs < stuckAfterMs) return;
  const line = 'stuck test: ' + running + ' (its thread gave no heartbeat for ' + Math.round(silentMs / 1000) + ' s; the worker was killed)';
  try { writeFileSync(join(resultsDir, 'stuck-' + pid + '-' + Date.now() + '.txt'), line + '\\n'); } catch {}
  // The test thread is the one that forwards console output, so write to the descriptor.
  process._rawDebug('\\n' + line + '\\n');
  process.kill(pid, 'SIGKILL');
}, Math.min(5000, stuckAfterMs / 4));
`;

const watchdog = new Worker(watchdogSource, { eval: true, workerData: { heartbeat, stuckAfterMs: STUCK_AFTER_MS, resultsDir, pid: process.pid } });
// Neither the watchdog nor the heartbeat keeps a finished worker alive.
watchdog.unref();
setInterval(() => Atomics.add(heartbeat, 0, 1), HEARTBEAT_MS).unref();

beforeAll(() => {
  watchdog.postMessage(`${expect.getState().testPath ?? '(unknown file)'} (its set-up, before its first test)`);
  Atomics.add(heartbeat, 0, 1);
});

beforeEach(() => {
  const { testPath, currentTestName } = expect.getState();
  watchdog.postMessage(`${testPath ?? '(unknown file)'} > ${currentTestName ?? '(unnamed test)'}`);
  // A test that starts is alive: a long synchronous file set-up before it is not charged to it.
  Atomics.add(heartbeat, 0, 1);
});
