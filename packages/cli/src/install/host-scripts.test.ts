import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { controlSocketName } from '@tsmosh/server/new-session';
import { fakeBundle, fakeHost, type FakeHost } from './host-fixture.test-helpers.js';
import { HOST_PROGRAMS, INSTALLS_KEPT, installCommand, parseHostReport, parseInstallFailure, startCommand } from './host-scripts.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
function host(options?: { node?: boolean }): FakeHost {
  const made = fakeHost(options);
  cleanups.push(made.dispose);
  return made;
}
function bundle(options?: { version?: string }) {
  const made = fakeBundle(options);
  cleanups.push(made.dispose);
  return made.bundle;
}

describe('the host programs', () => {
  it('quote the same in sh, bash, zsh, fish and csh: no backslash or single quote of their own', () => {
    for (const program of HOST_PROGRAMS) {
      expect(program).not.toMatch(/[\\']/);
    }
    const start = startCommand('1.2.3-abc', 2, []);
    expect(start.slice(start.indexOf("'"))).not.toMatch(/\\(?!')/); // backslashes only in the '\'' idiom, outside quotes
  });
});

describe('the start command on a host without a server', () => {
  it('reports the host: Node.js version, platform, architecture and glibc', async () => {
    const h = host();
    const result = await h.run(startCommand(bundle().installId, 2, ['new']));
    const report = parseHostReport(result.stdout.split('\n'));
    expect(report).toEqual({ kind: 'node', node: process.versions.node, platform: 'linux', arch: process.arch, glibc: expect.stringMatching(/^\d+\.\d+/) });
  });

  it('says so when there is no node on the PATH, with what uname says the host is', async () => {
    const h = host({ node: false });
    const result = await h.run(startCommand(bundle().installId, 2, ['new']));
    expect(parseHostReport(result.stdout.split('\n'))).toEqual({ kind: 'no-node', system: expect.stringMatching(/^Linux \S+$/) });
  });

  it('prefers a tsmosh-server on the PATH that speaks our protocol, and passes over one that does not', async () => {
    const h = host();
    const b = bundle();
    // Stand-ins for installed servers: one that accepts the protocol it is asked for, one that refuses it (86).
    writeFileSync(join(h.bin, 'tsmosh-server'), '#!/bin/sh\necho "installed server asked for protocol $TSMOSH_REQUIRE_PROTOCOL with $*"\n', { mode: 0o755 });
    const used = await h.run(startCommand(b.installId, 2, ['new', '--', 'echo', "it's"]));
    expect(used.stdout.trim()).toBe("installed server asked for protocol 2 with new -- echo it's");

    writeFileSync(join(h.bin, 'tsmosh-server'), '#!/bin/sh\necho "speaks another protocol" >&2\nexit 86\n', { mode: 0o755 });
    const passed = await h.run(startCommand(b.installId, 2, ['new']));
    expect(parseHostReport(passed.stdout.split('\n'))?.kind).toBe('node');
  });
});

describe('the start command with our install', () => {
  // The daemon's start begins beside `new`'s when no daemon's socket is there (earlyDaemonStart in host-scripts.ts).
  it('begins a daemon beside `new` when no daemon runs and names its pid to `new`; not with a socket there, nor for other commands', async () => {
    const h = host();
    for (const tool of ['setsid', 'id']) symlinkSync(`/usr/bin/${tool}`, join(h.bin, tool));
    const b = bundle();
    const dir = join(h.installBase, b.installId);
    mkdirSync(dir, { recursive: true });
    // A stand-in server that records how it was run.
    writeFileSync(
      join(dir, 'tsmosh-server.mjs'),
      'import { appendFileSync } from "node:fs";\nappendFileSync(process.env.HOME + "/calls", JSON.stringify({ args: process.argv.slice(2), execArgv: process.execArgv, starting: process.env.TSMOSH_DAEMON_STARTING ?? null, pid: process.pid }) + "\\n");\n',
    );
    const runtime = join(h.home, 'rt');
    mkdirSync(runtime, { mode: 0o700 });
    const calls = (): Array<{ args: string[]; execArgv: string[]; starting: string | null; pid: number }> =>
      existsSync(join(h.home, 'calls')) ? readFileSync(join(h.home, 'calls'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)) : [];
    const start = (args: string[]) => h.run(`TSMOSH_RUNTIME_DIR=${runtime} ${startCommand(b.installId, 2, args)}`);
    const settled = async (count: number) => {
      for (let waited = 0; calls().length < count && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      return calls();
    };

    // An older tsmosh's daemon (the legacy socket) is not this generation's: the daemon's start still begins.
    const older = createServer().listen(join(runtime, 'control.sock'));
    cleanups.push(() => older.close());
    await new Promise((resolve) => older.once('listening', resolve));
    await start(['new', '--', 'a b']);
    const cold = await settled(2);
    const daemon = cold.find((call) => call.args[0] === 'daemon');
    const created = cold.find((call) => call.args[0] === 'new');
    expect(daemon).toMatchObject({ args: ['daemon', '--log'], execArgv: ['--max-semi-space-size=2', '--v8-pool-size=1'], starting: null });
    expect(created).toMatchObject({ args: ['new', '--', 'a b'], starting: String(daemon!.pid) });

    const socket = createServer().listen(join(runtime, controlSocketName(2)));
    cleanups.push(() => socket.close());
    await new Promise((resolve) => socket.once('listening', resolve));
    await start(['new']);
    await start(['list', '--json']);
    const warm = (await settled(4)).slice(2);
    expect(warm.map((call) => [call.args[0], call.starting])).toEqual([['new', null], ['list', null]]);
  });
});

describe('the installer', () => {
  it('installs the files for the platform, private to the user, then runs the server; later starts use the install', async () => {
    const h = host();
    const b = bundle();
    const payload = b.payload('linux-x64');
    const installed = await h.run(installCommand(b.installId, payload.files, ['new', '--', 'bash', "a b'c"]), { bytes: payload.compressed, onStderr: () => {} });
    expect(installed.stdout.trim()).toBe("fake-server new -- bash a b'c");
    expect(installed.code).toBe(0);
    const dir = join(h.installBase, b.installId);
    expect(readdirSync(h.installBase)).toEqual([b.installId]);
    expect(existsSync(join(dir, 'prebuilds/linux-x64/pty.node'))).toBe(true);
    expect(existsSync(join(dir, 'prebuilds/linux-arm64'))).toBe(false);
    for (const folder of [join(h.installBase, '..'), h.installBase, dir, join(dir, 'prebuilds')]) expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'tsmosh-server.mjs')).mode & 0o777).toBe(0o600);

    const later = await h.run(startCommand(b.installId, 2, ['list', '--json']));
    expect(later.stdout.trim()).toBe('fake-server list --json');
  });

  it('refuses a file whose bytes do not match the manifest, and leaves nothing behind', async () => {
    const h = host();
    const b = bundle();
    writeFileSync(join(b.dir, 'tsmosh-server.mjs'), 'console.log("altered");\n'.padEnd(b.manifest.files[0]!.size, ' '));
    const payload = b.payload('linux-x64');
    const result = await h.run(installCommand(b.installId, payload.files, ['new']), { bytes: payload.compressed, onStderr: () => {} });
    expect(result.code).toBe(1);
    expect(parseInstallFailure(result.stdout.split('\n'))).toMatch(/^tsmosh-server\.mjs does not match the SHA-256 in the manifest of the client, .*nothing was installed$/);
    expect(readdirSync(h.installBase)).toEqual([]);
  });

  it('refuses a damaged or short upload, and leaves nothing behind', async () => {
    const h = host();
    const b = bundle();
    const payload = b.payload('linux-x64');
    const damaged = await h.run(installCommand(b.installId, payload.files, ['new']), { bytes: Buffer.from('not gzip at all'), onStderr: () => {} });
    expect(parseInstallFailure(damaged.stdout.split('\n'))).toMatch(/^the upload is damaged \(.*\); nothing was installed$/);
    const short = await h.run(installCommand(b.installId, payload.files, ['new']), { bytes: b.payload('linux-x64').compressed.subarray(0, 20), onStderr: () => {} });
    expect(parseInstallFailure(short.stdout.split('\n'))).toMatch(/damaged|holds \d+ bytes/);
    expect(readdirSync(h.installBase)).toEqual([]);
  });

  it('refuses file names that would leave its folder, and install IDs that are not plain names', async () => {
    const h = host();
    const b = bundle();
    const payload = b.payload('linux-x64');
    const escaping = payload.files.map((file, index) => (index === 0 ? { ...file, path: '../../escape.mjs' } : file));
    const result = await h.run(installCommand(b.installId, escaping, ['new']), { bytes: payload.compressed, onStderr: () => {} });
    expect(parseInstallFailure(result.stdout.split('\n'))).toBe('bad file name "../../escape.mjs"');
    const badId = await h.run(installCommand('../up', payload.files, ['new']), { bytes: payload.compressed, onStderr: () => {} });
    expect(parseInstallFailure(badId.stdout.split('\n'))).toBe('bad install ID "../up"');
    expect(existsSync(join(h.home, '.local/share/escape.mjs'))).toBe(false);
  });

  it('refuses a folder that others can write to', async () => {
    const h = host();
    const b = bundle();
    mkdirSync(h.installBase, { recursive: true, mode: 0o700 });
    chmodSync(h.installBase, 0o777);
    const payload = b.payload('linux-x64');
    const result = await h.run(installCommand(b.installId, payload.files, ['new']), { bytes: payload.compressed, onStderr: () => {} });
    expect(parseInstallFailure(result.stdout.split('\n'))).toMatch(/server must be a folder of yours that others cannot write to \(now mode 777, uid \d+\); fix it with chmod 700 and retry$/);
    expect(readdirSync(h.installBase)).toEqual([]);
  });

  it(`keeps the ${INSTALLS_KEPT} newest other installs and prunes the rest, and abandoned partial installs`, async () => {
    const h = host();
    const b = bundle();
    mkdirSync(h.installBase, { recursive: true, mode: 0o700 });
    const hour = 3600;
    const now = Date.now() / 1000;
    const old = ['0.0.1-aaaa', '0.0.2-bbbb', '0.0.3-cccc', '0.0.4-dddd'];
    old.forEach((name, index) => {
      mkdirSync(join(h.installBase, name));
      writeFileSync(join(h.installBase, name, 'tsmosh-server.mjs'), '');
      utimesSync(join(h.installBase, name), now - (10 - index) * hour, now - (10 - index) * hour);
    });
    mkdirSync(join(h.installBase, '.install-stale'));
    utimesSync(join(h.installBase, '.install-stale'), now - hour, now - hour);
    mkdirSync(join(h.installBase, 'not-an-install'));
    const payload = b.payload('linux-x64');
    await h.run(installCommand(b.installId, payload.files, ['new']), { bytes: payload.compressed, onStderr: () => {} });
    expect(readdirSync(h.installBase).sort()).toEqual([b.installId, '0.0.3-cccc', '0.0.4-dddd', 'not-an-install'].sort());
  });

  it('lets two connects install the same bundle at once: both run, one install remains', async () => {
    const h = host();
    const b = bundle();
    const payload = b.payload('linux-x64');
    const results = await Promise.all(
      [1, 2].map(() => h.run(installCommand(b.installId, payload.files, ['new']), { bytes: payload.compressed, onStderr: () => {} })),
    );
    for (const result of results) expect(result.stdout.trim()).toBe('fake-server new');
    expect(readdirSync(h.installBase)).toEqual([b.installId]);
  });
});
