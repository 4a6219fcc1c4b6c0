/**
 * vitest globalSetup (vitest.config.ts): the run's own temporary folder. Every test file gets a folder inside it
 * as its TMPDIR (test/helpers/temp-guard.ts), so what a test leaves in /tmp is found and named instead of piling up
 * run after run. Here, at the run's end, anything still in the run's folder (a file whose worker died before its
 * afterAll, or a process that outlived its test and wrote there) is listed in `.test-results/leaked-tmp.txt`
 * (`.ci/run` counts it as a failure), removed, and fails the run.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The environment variable that hands the run's folder to the workers' setup file. */
export const RUN_TMP_VARIABLE = 'TSMOSH_TEST_RUN_TMP';

export default function setup(): () => void {
  // Short on purpose: Unix socket paths (sshd, the daemon's control socket, agent sockets) are made under it and
  // must stay under the 108-byte limit.
  const run = mkdtempSync(join(tmpdir(), 'tsmt-'));
  // Others may pass through (not list) as they do /tmp: tests run sshd logins and socket clients as other users.
  chmodSync(run, 0o711);
  process.env[RUN_TMP_VARIABLE] = run;
  return () => {
    const left = readdirSync(run);
    rmSync(run, { recursive: true, force: true });
    if (left.length === 0) return;
    const resultsDir = resolve(process.env.TSMOSH_TEST_RESULTS_DIR ?? '.test-results');
    mkdirSync(resultsDir, { recursive: true });
    const message = `temporary files left at the end of the test run (removed): ${left.join(', ')}`;
    writeFileSync(join(resultsDir, 'leaked-tmp.txt'), message + '\n');
    // vitest prints an error thrown here but still exits 0: set the status too.
    process.exitCode = 1;
    throw new Error(message);
  };
}
