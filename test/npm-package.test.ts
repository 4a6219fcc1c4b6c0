/**
 * The publishable package as a user gets it: `npm pack` of dist/tsmosh (built by `npm run build`), installed with
 * `npm install -g --prefix` and no network, runs `tsmosh --version` and a `--local` session from the installed copy
 * alone. It has no dependencies and no install scripts, so no compiler is ever needed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PtyProgram, ROOT } from './client-harness.js';

const PACKAGE_DIR = join(ROOT, 'dist/tsmosh');

describe('the npm package', () => {
  let scratch: string;
  let prefix: string;
  let installed: string;
  const programs: PtyProgram[] = [];

  beforeAll(() => {
    expect(existsSync(join(PACKAGE_DIR, 'package.json')), 'dist/tsmosh is built by `npm run build`').toBe(true);
    scratch = mkdtempSync(join(tmpdir(), 'tsmosh-pack-'));
    const tarball = execFileSync('npm', ['pack', PACKAGE_DIR, '--pack-destination', scratch, '--silent'], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
    prefix = join(scratch, 'prefix');
    // --offline: the package must need nothing from the network, not even the registry.
    execFileSync('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, join(scratch, tarball)], { stdio: 'pipe' });
    installed = join(prefix, 'lib/node_modules/tsmosh');
  }, 60_000);

  afterAll(() => {
    for (const program of programs) program.kill();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('has no dependencies and no install scripts, and carries the server bundle for both Linux architectures', () => {
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.optionalDependencies).toBeUndefined();
    expect(pkg.scripts).toBeUndefined();
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
    expect(readdirSync(join(installed, 'dist/server/prebuilds')).sort()).toEqual(['linux-arm64', 'linux-x64']);
    expect(existsSync(join(installed, 'dist/server/manifest.json'))).toBe(true);
  });

  it('names its version and protocol version', () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')).version as string;
    expect(execFileSync(join(prefix, 'bin/tsmosh'), ['--version'], { encoding: 'utf8' })).toMatch(new RegExp(`^tsmosh ${version.replace(/\./g, '\\.')} \\(protocol \\d+\\)\\n$`));
    expect(execFileSync(join(prefix, 'bin/tsmosh-server'), ['--version'], { encoding: 'utf8' })).toMatch(/^tsmosh-server \S+ \(protocol \d+\)\n$/);
  });

  it('runs tsmosh --local from the installed copy alone', async () => {
    const runtime = mkdtempSync(join(tmpdir(), 'tsmosh-pack-run-'));
    try {
      const env = { PATH: `${join(prefix, 'bin')}:/usr/bin:/bin`, HOME: scratch, LANG: 'C.UTF-8', TERM: 'xterm-256color', TSMOSH_RUNTIME_DIR: runtime, TSMOSH_STATE_DIR: join(runtime, 'state') };
      const program = new PtyProgram({ args: [join(prefix, 'bin/tsmosh'), '--local', '--', 'bash', '--norc', '--noprofile'], env });
      programs.push(program);
      await program.waitForText(/bash-[\d.]+[#$]/);
      program.type('echo packed-$((6*7))\r');
      await program.waitForText('packed-42');
      // The daemon is the packed bundle's, not this checkout's.
      expect(execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' })).toContain(`${join(installed, 'dist/server/tsmosh-server.mjs')} daemon`);
      program.type('\x1e.');
      expect((await program.waitForExit()).exitCode).toBe(0);
    } finally {
      rmSync(runtime, { recursive: true, force: true });
    }
  });
});
