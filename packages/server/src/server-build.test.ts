import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonBuildNotice, daemonInstance, firstTimeFor, serverBuild } from './server-build.js';
import { SERVER_VERSION } from './version.js';

const folders: string[] = [];
function folder(): string {
  const made = mkdtempSync(join(tmpdir(), 'tsmosh-build-'));
  folders.push(made);
  return made;
}
afterEach(() => {
  for (const made of folders.splice(0)) rmSync(made, { recursive: true, force: true });
});

describe('serverBuild', () => {
  it("is the version and the start of the daemon file's hash from a bundle's manifest, the version alone elsewhere", () => {
    const bundle = folder();
    const sha = 'ab'.repeat(32);
    writeFileSync(join(bundle, 'manifest.json'), JSON.stringify({ version: SERVER_VERSION, files: [{ path: 'tsmosh-server.mjs', sha256: 'cd'.repeat(32) }, { path: 'tsmosh-daemon.mjs', sha256: sha }] }));
    expect(serverBuild(join(bundle, 'tsmosh-server.mjs'))).toBe(`${SERVER_VERSION}+abababababab`);
    expect(serverBuild(join(folder(), 'tsmosh-server.js'))).toBe(SERVER_VERSION);
  });

  it("hashes the daemon file itself in a bundle without a manifest (an install over SSH keeps none)", () => {
    // Two installs of the same version whose daemons differ: before, both were the bare version, so `new` never
    // said that the running daemon was the older one.
    const older = folder();
    const newer = folder();
    writeFileSync(join(older, 'tsmosh-daemon.mjs'), 'import "./daemon-chunk-AAAA.mjs";\n');
    writeFileSync(join(newer, 'tsmosh-daemon.mjs'), 'import "./daemon-chunk-BBBB.mjs";\n');
    const olderBuild = serverBuild(join(older, 'tsmosh-server.mjs'));
    const newerBuild = serverBuild(join(newer, 'tsmosh-server.mjs'));
    // sha256 of 'import "./daemon-chunk-AAAA.mjs";\n', its first 12 hex digits
    expect(olderBuild).toBe(`${SERVER_VERSION}+${createHash('sha256').update('import "./daemon-chunk-AAAA.mjs";\n').digest('hex').slice(0, 12)}`);
    expect(newerBuild).not.toBe(olderBuild);
    expect(daemonBuildNotice(newerBuild, olderBuild)).toContain(`is tsmosh-server ${olderBuild}, not this install's ${newerBuild}`);
  });
});

describe('daemonBuildNotice', () => {
  it('says nothing when the builds match, and one line naming both when they do not', () => {
    expect(daemonBuildNotice('0.1.0+aa', '0.1.0+aa')).toBeUndefined();
    const line = daemonBuildNotice('0.1.0+bb', '0.1.0+aa');
    expect(line).toMatch(/^tsmosh: the running tsmosh daemon is tsmosh-server 0\.1\.0\+aa, not this install's 0\.1\.0\+bb: sessions run its code until its last session ends/);
    expect(line).not.toContain('\n');
    expect(daemonBuildNotice('0.1.0', undefined)).toMatch(/is an older tsmosh-server, not this install's 0\.1\.0/);
  });
});

describe('firstTimeFor', () => {
  it('is true once per daemon and pair of builds', () => {
    const runtime = folder();
    expect(firstTimeFor(runtime, '12@1000', 'b', 'a')).toBe(true);
    expect(firstTimeFor(runtime, '12@1000', 'b', 'a')).toBe(false);
    expect(firstTimeFor(runtime, '12@1000', 'c', 'a')).toBe(true); // this install upgraded again
    expect(firstTimeFor(runtime, '13@2000', 'c', 'a')).toBe(true); // another daemon
    expect(firstTimeFor(runtime, '13@2000', 'c', undefined)).toBe(true);
    expect(firstTimeFor(runtime, '13@2000', 'c', undefined)).toBe(false);
  });

  it("tells a daemon apart by its control socket", () => {
    const runtime = folder();
    const socket = join(runtime, 'control-p8.sock');
    expect(daemonInstance(socket)).toBeUndefined();
    writeFileSync(socket, ''); // stands in for the socket: only its identity is read
    expect(daemonInstance(socket)).toMatch(/^\d+@[\d.]+$/);
  });
});
