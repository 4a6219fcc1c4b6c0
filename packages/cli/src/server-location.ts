/**
 * Where this installation's server is, in the two shapes tsmosh is installed in:
 * - packed (`npm install -g tsmosh`, scripts/build-bundles.mjs): the CLI is dist/tsmosh.mjs and the chunks it loads
 *   on demand, all in dist/ (so every chunk's import.meta.url names that folder), and the self-contained server
 *   bundle lies beside them in dist/server/;
 * - the workspace (a clone of this repository): the @tsmosh/server package's bin, and its bundle in
 *   packages/server/bundle/ once `npm run build` made it.
 * The bundle is what `tsmosh user@host` installs on a host that has no tsmosh-server (install/).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_ENTRY } from './install/host-scripts.js';

/** Defined as `true` by the packed build (esbuild's define); absent in the workspace. */
declare const TSMOSH_PACKED_LAYOUT: boolean | undefined;

/** Names a bundle folder to use instead of this installation's (tests, and people who build their own). */
const SERVER_BUNDLE_ENV = 'TSMOSH_SERVER_BUNDLE';

function packed(): boolean {
  return typeof TSMOSH_PACKED_LAYOUT !== 'undefined' && TSMOSH_PACKED_LAYOUT;
}

/** Packed shape: the server bundle beside the CLI's one file. */
function packedServerDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'server');
}

interface ServerPackage {
  readonly dir: string;
  readonly manifest: { readonly name?: string; readonly bin?: string | Record<string, string> };
}

/** The @tsmosh/server package this CLI runs with, and its package.json (workspace shape only). */
function serverPackage(): ServerPackage {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@tsmosh/server'));
  // Walk up from the package's entry point to its package.json.
  for (;;) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as ServerPackage['manifest'];
      if (manifest.name === '@tsmosh/server') return { dir, manifest };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tsmosh: cannot find the @tsmosh/server package; reinstall tsmosh');
    dir = parent;
  }
}

/** The file that runs `tsmosh-server` on this machine (for --local and its --list/--kill). */
export function serverBinPath(): string {
  if (packed()) return join(packedServerDir(), BUNDLE_ENTRY);
  const { dir, manifest } = serverPackage();
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.['tsmosh-server'];
  if (bin === undefined) throw new Error(`tsmosh: ${join(dir, 'package.json')} declares no tsmosh-server bin`);
  return join(dir, bin);
}

/** The folder of the server bundle this client installs on hosts (its manifest.json may still be missing). */
export function serverBundleDir(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env[SERVER_BUNDLE_ENV];
  if (chosen !== undefined && chosen !== '') return chosen;
  if (packed()) return packedServerDir();
  return join(serverPackage().dir, 'bundle');
}
