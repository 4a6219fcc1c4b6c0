/**
 * The installed CLI (dist/tsmosh, built by `npm run build`) loads, before it starts anything, only the command line's
 * own code: ssh2 comes with a login over SSH, and the session code (runTerminalClient: the session, the renderer, the
 * transport) is imported on demand, so a login can start before it loads and it loads while the login waits
 * (packages/cli/src/session-code.ts; docs/benchmarks-journal.md, "`tsmosh host` over SSH as quick to start as mosh"). A
 * static import of a package's index from the command line's modules would put all of it back in front.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './client-harness.js';
import { bundleFolder, dynamicImports } from './helpers/bundle-imports.js';

const DIST = join(ROOT, 'dist/tsmosh/dist');
const SESSION_CODE_MARK = 'function runTerminalClient(';
const SSH2_MARK = 'SSH-2.0-ssh2js';

const { read, staticClosure } = bundleFolder(DIST);

describe('the CLI bundle', () => {
  it('loads neither ssh2 nor the session code before a command starts; both come by dynamic import', () => {
    expect(existsSync(join(DIST, 'tsmosh.mjs')), 'dist/tsmosh is built by `npm run build`').toBe(true);
    const [main] = dynamicImports(read('tsmosh.mjs'));
    expect(main).toBeDefined();
    const front = staticClosure(main!);
    const frontCode = [...front].map(read).join('\n');
    const names = [...front].join(', ');
    expect(frontCode.includes(SESSION_CODE_MARK), `the session code is loaded up front (${names})`).toBe(false);
    expect(frontCode.includes(SSH2_MARK), `ssh2 is loaded up front (${names})`).toBe(false);
    // Not vacuous: both are there, each reachable from the front by a dynamic import.
    const later = [...front].flatMap((file) => dynamicImports(read(file))).flatMap((file) => [...staticClosure(file)]);
    const laterCode = later.map(read).join('\n');
    expect(laterCode.includes(SESSION_CODE_MARK), 'the session code comes by dynamic import').toBe(true);
    expect(laterCode.includes(SSH2_MARK), 'ssh2 comes by dynamic import').toBe(true);
  });
});
