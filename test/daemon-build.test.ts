/**
 * A daemon of another build than the install `new` runs from (after an upgrade that kept the protocol, the old
 * daemon serves new sessions with its old code until its last session ends): `new` says so in one line, once per
 * daemon, and not at all when the builds match. Two copies of the server bundle stand for two installs; the second's
 * manifest names another daemon file hash, as the next release's would. Build first (npm run build).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRuntimeDir, runServer, serverEnv, stopDaemon } from './server-helpers.js';
import { PtyProgram, TSMOSH_BIN, Workspace } from './client-harness.js';

const BUNDLE_DIR = resolve(import.meta.dirname, '../packages/server/bundle');

/** `tsmosh-server ARGS` of the install in `folder`. */
const run = (folder: string, args: readonly string[], env: NodeJS.ProcessEnv) => runServer(args, env, join(folder, 'tsmosh-server.mjs'));

describe('a daemon of another build', () => {
  let runtime: ReturnType<typeof makeRuntimeDir>;
  let daemonPid: number | undefined;
  beforeEach(() => {
    runtime = makeRuntimeDir();
    daemonPid = undefined;
  });
  afterEach(async () => {
    await stopDaemon(daemonPid);
    runtime.cleanup();
  });

  it('is named in one line by the first `new` of another install that reaches it, and by no other', async () => {
    const older = join(runtime.dir, '..', 'install-old');
    const newer = join(runtime.dir, '..', 'install-new');
    cpSync(BUNDLE_DIR, older, { recursive: true });
    cpSync(BUNDLE_DIR, newer, { recursive: true });
    const manifestPath = join(newer, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string; files: Array<{ path: string; sha256: string }> };
    const oldSha = manifest.files.find((file) => file.path === 'tsmosh-daemon.mjs')!.sha256;
    for (const file of manifest.files) if (file.path === 'tsmosh-daemon.mjs') file.sha256 = 'f'.repeat(64);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    // Sessions no client joins: kept for the test's length.
    const env = serverEnv(runtime.dir, { TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS: '120000' });

    const first = await run(older, ['new', '--', 'sleep', '120'], env);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    daemonPid = (JSON.parse((await run(older, ['status'], env)).stdout) as { pid: number }).pid;

    const upgraded = await run(newer, ['new', '--', 'sleep', '120'], env);
    expect(upgraded.code).toBe(0);
    expect(upgraded.stdout).toMatch(/^TSMOSH CONNECT \d+ /m);
    expect(upgraded.stderr).toBe(
      `tsmosh: the running tsmosh daemon is tsmosh-server ${manifest.version}+${oldSha.slice(0, 12)}, not this install's ${manifest.version}+ffffffffffff: ` +
        'sessions run its code until its last session ends and it exits (`--list` shows them, `--kill` ends one); the next session then starts this one.\n',
    );
    // Said once: the next login of the same install, and any of the daemon's own install, say nothing.
    expect((await run(newer, ['new', '--', 'sleep', '120'], env)).stderr).toBe('');
    expect((await run(older, ['new', '--', 'sleep', '120'], env)).stderr).toBe('');
  });

  it('is shown at the end of the --local session that met it, where the first frame does not push it out of view', async () => {
    const workspace = new Workspace();
    try {
      // A daemon from the bundle (its build has the daemon file's hash) meets this checkout's tsmosh (version alone).
      const started = await runServer(['new', '--', 'sleep', '120'], { ...workspace.env, TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS: '120000' }, join(BUNDLE_DIR, 'tsmosh-server.mjs'));
      expect(started.code).toBe(0);
      const t = new PtyProgram({ args: [TSMOSH_BIN, '--local', '--', 'sh', '-c', 'echo local-mark; sleep 0.3'], env: workspace.env });
      expect((await t.waitForExit()).exitCode).toBe(0);
      const screen = (await t.logicalLines()).join('\n');
      expect(screen).toContain('local-mark');
      expect(screen).toMatch(/tsmosh: the running tsmosh daemon is tsmosh-server \S+\+[0-9a-f]{12}, not this install's \S+: sessions run its code/);
    } finally {
      await workspace.dispose();
    }
  });
});
