import { readdirSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BootstrapError } from '../ssh/errors.js';
import { fakeBundle, fakeHost } from './host-fixture.test-helpers.js';
import { runServerOnHost, supportedPlatform, versionAtLeast } from './host-install.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
function setUp(options: { node?: boolean; nativeBytes?: number } = {}) {
  const host = fakeHost(options);
  const made = fakeBundle(options);
  cleanups.push(host.dispose, made.dispose);
  return { host, bundle: made.bundle };
}

describe('versionAtLeast', () => {
  it('compares dotted versions numerically, missing parts as 0', () => {
    expect(versionAtLeast('20.19.0', '20.19')).toBe(true);
    expect(versionAtLeast('v20.20.2', '20.19')).toBe(true);
    expect(versionAtLeast('22.1.0', '20.19')).toBe(true);
    expect(versionAtLeast('20.18.3', '20.19')).toBe(false);
    expect(versionAtLeast('16.20.2', '20.19')).toBe(false);
    expect(versionAtLeast('2.28', '2.28')).toBe(true);
    expect(versionAtLeast('2.9', '2.28')).toBe(false);
    expect(versionAtLeast('unknown', '2.28')).toBe(false);
  });
});

describe('supportedPlatform', () => {
  const { bundle, dispose } = fakeBundle();
  afterAll(dispose);
  const message = (report: Parameters<typeof supportedPlatform>[0]): string => {
    try {
      return supportedPlatform(report, bundle, 'box');
    } catch (error) {
      expect(error).toBeInstanceOf(BootstrapError);
      return (error as Error).message;
    }
  };

  it('accepts Linux on x64 and arm64 with Node.js 20.19+ and glibc 2.28+', () => {
    expect(message({ kind: 'node', node: '20.19.0', platform: 'linux', arch: 'x64', glibc: '2.28' })).toBe('linux-x64');
    expect(message({ kind: 'node', node: '24.1.0', platform: 'linux', arch: 'arm64', glibc: '2.39' })).toBe('linux-arm64');
  });

  it('says in one line what is missing and how to proceed, for each kind of host it cannot serve', () => {
    const lines = [
      message({ kind: 'no-node', system: 'Linux x86_64' }),
      message({ kind: 'node', node: '16.20.2', platform: 'linux', arch: 'x64', glibc: '2.36' }),
      message({ kind: 'node', node: '20.19.0', platform: 'darwin', arch: 'arm64', glibc: null }),
      message({ kind: 'node', node: '20.19.0', platform: 'linux', arch: 'riscv64', glibc: '2.36' }),
      message({ kind: 'node', node: '20.19.0', platform: 'linux', arch: 'x64', glibc: null }),
      message({ kind: 'node', node: '20.19.0', platform: 'linux', arch: 'x64', glibc: '2.17' }),
    ];
    expect(lines[0]).toMatch(/^tsmosh: box \(Linux x86_64\) has no `node` on the PATH of an SSH command; tsmosh-server needs Node\.js 20\.19 or later there/);
    expect(lines[1]).toMatch(/^tsmosh: box has Node\.js 16\.20\.2; tsmosh-server needs 20\.19 or later: upgrade Node\.js there/);
    expect(lines[2]).toMatch(/^tsmosh: box is darwin-arm64; the tsmosh-server this client carries runs on linux-x64, linux-arm64/);
    expect(lines[3]).toMatch(/^tsmosh: box is linux-riscv64;/);
    expect(lines[4]).toMatch(/^tsmosh: box has no glibc \(musl\?\); .* needs glibc 2\.28 or later/);
    expect(lines[5]).toMatch(/^tsmosh: box has glibc 2\.17;/);
    for (const line of lines) {
      expect(line).not.toContain('\n');
      expect(line).toContain('--server=PATH');
    }
  });
});

describe('runServerOnHost', () => {
  it('installs on a host with only Node.js, showing what the host received, then runs the server', async () => {
    const { host, bundle } = setUp({ nativeBytes: 200_000 });
    const steps: string[] = [];
    const result = await runServerOnHost(host.run, ['new', '--', 'bash'], { host: 'box', bundle, mayInstall: true, onStep: (step) => steps.push(step) });
    expect(result.stdout.trim()).toBe('fake-server new -- bash');
    expect(result.stderr).not.toContain('TSMOSH RECEIVED');
    expect(steps[0]).toMatch(/^installing tsmosh-server 9\.8\.7 \(linux-x64\): 0 KiB of 19\d KiB$/);
    // Incompressible bytes: at least one report of what arrived, counting up to the whole upload.
    expect(steps.length).toBeGreaterThan(1);
    expect(steps.at(-1)).toMatch(/: (1\d\d) KiB of 19\d KiB$/);
    expect(readdirSync(host.installBase)).toEqual([bundle.installId]);

    // The next connect uses the install: one command, no upload.
    const later: string[] = [];
    const again = await runServerOnHost(host.run, ['new'], { host: 'box', bundle, mayInstall: true, onStep: (step) => later.push(step) });
    expect(again.stdout.trim()).toBe('fake-server new');
    expect(later).toEqual([]);
  });

  it('never installs for list or kill, and says how to get a server', async () => {
    const { host, bundle } = setUp();
    await expect(runServerOnHost(host.run, ['list'], { host: 'box', bundle, mayInstall: false })).rejects.toThrow(
      'tsmosh: tsmosh-server is not installed on box; `tsmosh box` installs it on the first connect.',
    );
    expect(readdirSync(host.home)).toEqual(['bin']);
  });

  it('refuses a host without Node.js in one line and touches nothing', async () => {
    const { host, bundle } = setUp({ node: false });
    await expect(runServerOnHost(host.run, ['new'], { host: 'box', bundle, mayInstall: true })).rejects.toThrow(/^tsmosh: box \(Linux \S+\) has no `node` on the PATH/);
    expect(readdirSync(host.home)).toEqual(['bin']);
  });

  it("turns the installer's refusal into one line naming the host", async () => {
    const { host, bundle } = setUp();
    writeFileSync(`${bundle.dir}/tsmosh-server.mjs`, 'x'.repeat(bundle.manifest.files[0]!.size));
    await expect(runServerOnHost(host.run, ['new'], { host: 'box', bundle, mayInstall: true })).rejects.toThrow(
      /^tsmosh: could not install tsmosh-server on box: tsmosh-server\.mjs does not match the SHA-256/,
    );
    expect(readdirSync(host.installBase)).toEqual([]);
  });
});
