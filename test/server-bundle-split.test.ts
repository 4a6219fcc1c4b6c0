/**
 * The server bundle (packages/server/bundle, built by `npm run build`) loads at each login only what `new` needs, and a
 * cold daemon answers its first `new` before it loads the pty and the mirror (late-pty.ts): the saved-screen decoder
 * (`list`, `kill` of a kept session) and node-pty with @xterm/headless come by dynamic import. A static import of
 * them from `new`'s or the daemon's first modules would put them back in front (docs/benchmarks.md, start-up over
 * SSH, session 23).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './client-harness.js';
import { bundleFolder, dynamicImports } from './helpers/bundle-imports.js';

const BUNDLE = join(ROOT, 'packages/server/bundle');
/** An error message of decodeSavedScreen (terminal/src/saved-screen.ts). */
const DECODER_MARK = 'not a tsmosh saved screen';
/** @xterm/headless's option check, and the bundle's own pty.node loader (scripts/build-bundles.mjs). */
const XTERM_MARK = 'allowProposedApi';
const NODE_PTY_MARK = 'this bundle carries pty.node';

const { read, staticClosure, everything } = bundleFolder(BUNDLE);
const codeOf = (files: Iterable<string>): string => [...files].map(read).join('\n');

describe('the server bundle', () => {
  it("`new` loads the server's main module without the saved-screen decoder, which comes by dynamic import", () => {
    expect(existsSync(join(BUNDLE, 'tsmosh-server.mjs')), 'the bundle is built by `npm run build`').toBe(true);
    const [main] = dynamicImports(read('tsmosh-server.mjs')).filter((file) => file !== 'tsmosh-daemon.mjs');
    expect(main).toBeDefined();
    const front = staticClosure(main!);
    expect(codeOf(front).includes(DECODER_MARK), `the decoder is loaded with new (${[...front].join(', ')})`).toBe(false);
    expect(codeOf(everything('tsmosh-server.mjs')).includes(DECODER_MARK), 'the decoder is in the bundle').toBe(true);
  });

  it('the daemon listens before it loads node-pty and @xterm/headless, which come by dynamic import', () => {
    const front = staticClosure('tsmosh-daemon.mjs');
    const frontCode = codeOf(front);
    expect(frontCode.includes(XTERM_MARK), `xterm is loaded with the daemon (${[...front].join(', ')})`).toBe(false);
    expect(frontCode.includes(NODE_PTY_MARK), `node-pty is loaded with the daemon (${[...front].join(', ')})`).toBe(false);
    const later = codeOf(everything('tsmosh-daemon.mjs'));
    expect(later.includes(XTERM_MARK), 'xterm comes by dynamic import').toBe(true);
    expect(later.includes(NODE_PTY_MARK), 'node-pty comes by dynamic import').toBe(true);
  });

  it('lists every file it is made of in its manifest (what a host install uploads)', () => {
    const manifest = JSON.parse(read('manifest.json')) as { files: Array<{ path: string }> };
    const listed = new Set(manifest.files.map((file) => file.path));
    for (const file of [...everything('tsmosh-server.mjs'), ...everything('tsmosh-daemon.mjs')]) expect(listed.has(file), file).toBe(true);
  });
});
