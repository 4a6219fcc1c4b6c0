import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeBundle } from './host-fixture.test-helpers.js';
import { ServerBundle } from './server-bundle.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('ServerBundle', () => {
  it('names its install by version and manifest hash: a rebuilt bundle of the same version gets a new folder', () => {
    const first = fakeBundle();
    const second = fakeBundle(); // same version, other random native bytes
    cleanups.push(first.dispose, second.dispose);
    expect(first.bundle.installId).toMatch(/^9\.8\.7-[0-9a-f]{16}$/);
    expect(second.bundle.installId).not.toBe(first.bundle.installId);
    expect(ServerBundle.read(first.dir).installId).toBe(first.bundle.installId);
  });

  it('gives a platform the common files and its own native module only', () => {
    const { bundle, dispose } = fakeBundle();
    cleanups.push(dispose);
    expect(bundle.filesFor('linux-arm64').map((file) => file.path)).toEqual(['tsmosh-server.mjs', 'prebuilds/linux-arm64/pty.node']);
  });

  it('uploads the files as they are on disk, in manifest order, whatever their sizes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 5000 }), { minLength: 1, maxLength: 5 }), (contents) => {
        const dir = mkdtempSync(join(tmpdir(), 'tsmosh-bundle-prop-'));
        try {
          const files = contents.map((bytes, index) => {
            writeFileSync(join(dir, `f${index}`), bytes);
            return { path: `f${index}`, size: bytes.length, sha256: 'unused', mode: 0o644 };
          });
          writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name: 'tsmosh-server', version: '1.0.0', protocol: 2, node: '>=20.19', platforms: ['linux-x64'], files }));
          const payload = ServerBundle.read(dir).payload('linux-x64');
          expect(payload.files.reduce((sum, file) => sum + file.size, 0)).toBe(contents.reduce((sum, bytes) => sum + bytes.length, 0));
          expect(Buffer.from(gunzipSync(payload.compressed)).equals(Buffer.concat(contents))).toBe(true);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 50 },
    );
  });

  it('says how to build the bundle when there is none, and refuses a manifest of something else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsmosh-no-bundle-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    expect(() => ServerBundle.read(dir)).toThrow(`no server bundle in ${dir} (build it with \`npm run build\` in the tsmosh checkout)`);
    writeFileSync(join(dir, 'manifest.json'), '{"name":"other"}');
    expect(() => ServerBundle.read(dir)).toThrow(/is not a tsmosh-server bundle manifest$/);
  });
});
