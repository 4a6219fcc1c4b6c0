import { defineConfig } from 'vitest/config';

// Tests run from source: the `tsmosh-source` export condition maps each workspace package to src/index.ts,
// so no build is needed for unit tests. End-to-end tests under test/ that spawn the bins use dist/ (npm test
// runs `tsc -b` first through `pretest`).
export default defineConfig({
  resolve: { conditions: ['tsmosh-source'] },
  ssr: { resolve: { conditions: ['tsmosh-source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'bench/src/**/*.test.ts'],
    // Real ptys, sshd and UDP sockets: give slow shared machines room, but no test relies on a timing margin.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A worker whose thread never yields again (a synchronous endless loop) is named and killed instead of hanging CI.
    setupFiles: ['test/helpers/stuck-worker-watchdog.ts', 'test/helpers/temp-guard.ts'],
    // Each file runs with its own TMPDIR and fails if it leaves anything there; the run fails if anything is left in
    // the run's folder at its end (test/helpers/temp-guard.ts, temp-run.ts).
    globalSetup: ['test/helpers/temp-run.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/results.json' },
  },
});
