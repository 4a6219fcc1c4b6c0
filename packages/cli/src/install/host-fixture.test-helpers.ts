/**
 * A stand-in host for the install tests: a private HOME and a PATH holding only what a bare server has (a shell,
 * uname, and Node.js unless asked not to), where commands run through bash as sshd runs them (`$SHELL -c command`).
 * And a small bundle whose "server" prints the arguments it got, so the tests watch the install, not a daemon.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostRunResult, Upload } from './host-install.js';
import { ServerBundle } from './server-bundle.js';

export interface FakeHost {
  readonly home: string;
  /** The folder on PATH; tests add programs to it. */
  readonly bin: string;
  /** Where installs go: $HOME/.local/share/tsmosh/server. */
  readonly installBase: string;
  run(command: string, upload?: Upload): Promise<HostRunResult>;
  dispose(): void;
}

export function fakeHost(options: { node?: boolean } = {}): FakeHost {
  const home = mkdtempSync(join(tmpdir(), 'tsmosh-host-'));
  const bin = join(home, 'bin');
  mkdirSync(bin);
  const programs: Array<[string, string]> = [['sh', '/bin/sh'], ['bash', '/bin/bash'], ['uname', '/usr/bin/uname']];
  if (options.node !== false) programs.push(['node', process.execPath]);
  for (const [name, target] of programs) symlinkSync(target, join(bin, name));
  const env = { HOME: home, PATH: bin, LANG: 'C.UTF-8' };
  return {
    home,
    bin,
    installBase: join(home, '.local/share/tsmosh/server'),
    run(command, upload) {
      return new Promise((resolve, reject) => {
        const child = spawn('/bin/bash', ['-c', command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
          upload?.onStderr(chunk.toString('utf8'));
        });
        child.stdin.on('error', () => {});
        child.stdin.end(upload === undefined ? undefined : Buffer.from(upload.bytes));
        child.once('error', reject);
        child.once('close', (code) => resolve({ stdout, stderr, code: code ?? undefined }));
      });
    },
    dispose: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** The line the fake server prints: its arguments, so a test sees which server ran with what. */
export const FAKE_SERVER_SOURCE = 'console.log("fake-server " + process.argv.slice(2).join(" "));\n';

/** Writes a bundle like build-bundles.mjs makes, with the fake server and placeholder native modules. */
/** `nativeBytes`: the size of each placeholder pty.node, random (incompressible) bytes; default 4 KiB. */
export function fakeBundle(options: { version?: string; protocol?: number; nativeBytes?: number } = {}): { dir: string; bundle: ServerBundle; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tsmosh-bundle-'));
  const files: Array<{ path: string; contents: Buffer; mode: number; platform?: string }> = [
    { path: 'tsmosh-server.mjs', contents: Buffer.from(FAKE_SERVER_SOURCE), mode: 0o644 },
    { path: 'prebuilds/linux-x64/pty.node', contents: randomBytes(options.nativeBytes ?? 4096), mode: 0o755, platform: 'linux-x64' },
    { path: 'prebuilds/linux-arm64/pty.node', contents: randomBytes(options.nativeBytes ?? 4096), mode: 0o755, platform: 'linux-arm64' },
  ];
  for (const file of files) {
    mkdirSync(join(dir, file.path, '..'), { recursive: true });
    writeFileSync(join(dir, file.path), file.contents);
  }
  const manifest = {
    name: 'tsmosh-server',
    version: options.version ?? '9.8.7',
    protocol: options.protocol ?? 2,
    node: '>=20.19',
    platforms: ['linux-x64', 'linux-arm64'],
    files: files.map(({ path, contents, mode, platform }) => ({
      path,
      mode,
      size: contents.length,
      sha256: createHash('sha256').update(contents).digest('hex'),
      ...(platform ? { platform } : {}),
    })),
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return { dir, bundle: ServerBundle.read(dir), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
