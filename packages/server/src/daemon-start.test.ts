/**
 * How the daemon process is started: `new` gives it DAEMON_NODE_OPTIONS (the memory caps measured in
 * docs/benchmarks.md, daemon-cost), and a daemon started without them says so in its log. Runs the built bin
 * (packages/server/dist) under plain node, as a user's shell would, with a private runtime directory.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WAIT_BOUND_MS, stopProcess } from '@tsmosh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { DAEMON_NODE_OPTIONS } from './server-main.js';
import { controlSocketPath } from './runtime-dir.js';
import { DAEMON_STARTING_ENV, OWN_LOG_OPTION, startingDaemonAlive } from './new-session.js';
import { privateRuntime as privateRuntimeFolder } from './private-runtime.test-helpers.js';

const SERVER_BIN = fileURLToPath(new URL('../bin/tsmosh-server.js', import.meta.url));
const run = promisify(execFile);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function privateRuntime(): { dir: string; env: NodeJS.ProcessEnv } {
  return privateRuntimeFolder('tsm-', (remove) => cleanups.push(remove));
}

describe.skipIf(process.platform !== 'linux')('starting the daemon process', () => {
  it('`new` starts the daemon under node with DAEMON_NODE_OPTIONS, and its log has no warning about them', async () => {
    const { dir, env } = privateRuntime();
    const created = await run(process.execPath, [SERVER_BIN, 'new', '--', '/bin/sh'], { env, timeout: WAIT_BOUND_MS });
    expect(created.stdout).toMatch(/^TSMOSH CONNECT \d+ \S+$/m);
    const status = JSON.parse((await run(process.execPath, [SERVER_BIN, 'status'], { env, timeout: WAIT_BOUND_MS })).stdout) as { pid: number };
    cleanups.push(() => stopProcess(status.pid));

    // cmdline is NUL-terminated: drop the empty string after the last NUL.
    const argv = readFileSync(`/proc/${status.pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    const binAt = argv.indexOf(SERVER_BIN);
    expect(binAt, argv.join(' ')).toBeGreaterThan(0);
    // Node options must come before the script, or node hands them to the script as its arguments.
    expect(argv.slice(1, binAt)).toEqual([...DAEMON_NODE_OPTIONS]);
    expect(argv.slice(binAt + 1)).toEqual(['daemon']);
    expect(readFileSync(join(dir, 'daemon.log'), 'utf8')).not.toContain('node runs without');
  });

  it('a daemon started without them (by hand) says in its log which are missing and how to start it', async () => {
    expect(DAEMON_NODE_OPTIONS.length).toBeGreaterThan(0);
    const { env } = privateRuntime();
    const daemon = spawn(process.execPath, [SERVER_BIN, 'daemon'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    cleanups.push(() => stopProcess(daemon.pid!));
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error(`no warning in the daemon's log within ${WAIT_BOUND_MS} ms: ${log}`)), WAIT_BOUND_MS);
      daemon.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        log += chunk;
        if (log.includes('node runs without') && log.endsWith('\n')) {
          clearTimeout(bound);
          resolve();
        }
      });
    });
    const warning = log.split('\n').find((line) => line.includes('node runs without'))!;
    for (const option of DAEMON_NODE_OPTIONS) expect(warning).toContain(option);
    expect(warning).toContain(`node ${DAEMON_NODE_OPTIONS.join(' ')} tsmosh-server.js daemon`);
  });

  // The start command of a login begins the daemon's start beside `new` (cli install/host-scripts.ts) and names it.
  it('`new` waits for the daemon the start command began instead of starting a second, and keeps its pid from the session', async () => {
    const { dir, env: base } = privateRuntime();
    // No client comes for the session: it need not wait the default minute for one before it ends. Long enough for
    // the daemon to load its pty and start the program first (a cold daemon answers `new` before that, late-pty.ts):
    // at 500 ms a loaded CI machine ended the session before its program ran, and the file below never came (ms).
    const env = { ...base, TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS: '10000' };
    const early = spawn(process.execPath, [...DAEMON_NODE_OPTIONS, SERVER_BIN, 'daemon', OWN_LOG_OPTION], { env, stdio: 'ignore', detached: true });
    cleanups.push(() => stopProcess(early.pid!));
    const seen = join(dir, '..', 'session-env');
    const created = await run(process.execPath, [SERVER_BIN, 'new', '--', '/bin/sh', '-c', `env > ${seen}`], {
      env: { ...env, [DAEMON_STARTING_ENV]: String(early.pid) },
      timeout: WAIT_BOUND_MS,
    });
    expect(created.stdout).toMatch(/^TSMOSH CONNECT \d+ \S+$/m);
    const status = JSON.parse((await run(process.execPath, [SERVER_BIN, 'status'], { env, timeout: WAIT_BOUND_MS })).stdout) as { pid: number };
    expect(status.pid).toBe(early.pid);
    // It wrote the log itself (its stderr leads nowhere), and no second daemon started and lost the race there.
    const log = readFileSync(join(dir, 'daemon.log'), 'utf8');
    expect(log).toContain(`daemon ${early.pid} `);
    expect(log).not.toMatch(/already answers|this one exits/);
    for (let waited = 0; !existsSync(seen) && waited < WAIT_BOUND_MS; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(readFileSync(seen, 'utf8')).not.toContain(DAEMON_STARTING_ENV);
  });

  // A login's environment on a systemd host: XDG_RUNTIME_DIR set (a tmpfs emptied at boot), no TSMOSH_RUNTIME_DIR.
  it('a daemon `new` starts keeps named sessions where a reboot leaves them (the state folder, not the runtime one)', async () => {
    const { dir, env: base } = privateRuntime();
    const parent = join(dir, '..');
    const { TSMOSH_RUNTIME_DIR: _given, ...login } = base;
    const env = { ...login, HOME: join(parent, 'home'), XDG_RUNTIME_DIR: join(parent, 'xdg'), XDG_STATE_HOME: '' };
    mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
    const created = await run(process.execPath, [SERVER_BIN, 'new', '--name', 'keep', '--', '/bin/sh'], { env, timeout: WAIT_BOUND_MS });
    expect(created.stdout).toMatch(/^TSMOSH CONNECT \d+ \S+$/m);
    const status = JSON.parse((await run(process.execPath, [SERVER_BIN, 'status'], { env, timeout: WAIT_BOUND_MS })).stdout) as { pid: number };
    cleanups.push(() => stopProcess(status.pid));
    expect(existsSync(controlSocketPath(join(env.XDG_RUNTIME_DIR, 'tsmosh')))).toBe(true);
    expect(existsSync(join(env.HOME, '.local', 'state', 'tsmosh', 'sessions', 'keep.json'))).toBe(true);
    expect(existsSync(join(env.XDG_RUNTIME_DIR, 'tsmosh', 'state'))).toBe(false);
  });

  it('`new` starts the daemon itself when the one named as starting is gone', async () => {
    const { env } = privateRuntime();
    const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => gone.on('exit', resolve));
    expect(startingDaemonAlive({ [DAEMON_STARTING_ENV]: String(gone.pid) })).toBe(false);
    const created = await run(process.execPath, [SERVER_BIN, 'new', '--', '/bin/sh'], { env: { ...env, [DAEMON_STARTING_ENV]: String(gone.pid) }, timeout: WAIT_BOUND_MS });
    expect(created.stdout).toMatch(/^TSMOSH CONNECT \d+ \S+$/m);
    const status = JSON.parse((await run(process.execPath, [SERVER_BIN, 'status'], { env, timeout: WAIT_BOUND_MS })).stdout) as { pid: number };
    cleanups.push(() => stopProcess(status.pid));
    expect(status.pid).not.toBe(gone.pid);
    expect(startingDaemonAlive({ [DAEMON_STARTING_ENV]: String(status.pid) })).toBe(true);
    expect(startingDaemonAlive({ [DAEMON_STARTING_ENV]: 'not-a-pid' })).toBe(false);
  });
});
