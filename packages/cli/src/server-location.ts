/**
 * Where this installation's server is, in the two shapes tsmosh is installed in:
 * - packed (`npm install -g tsmosh`, scripts/build-bundles.mjs): the CLI is one file, dist/tsmosh.mjs, and the
 *   self-contained server bundle lies beside it in dist/server/;
 * - the workspace (a clone of this repository): the @tsmosh/server package's bin, and its bundle in
 *   packages/server/bundle/ once `npm run build` made it.
 * The bundle is what `tsmosh user@host` installs on a host that has no tsmosh-server (install/).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Defined as `true` by the packed build (esbuild's define); absent in the workspace. */
declare const TSMOSH_PACKED_LAYOUT: boolean | undefined;

/** Names a bundle folder to use instead of this installation's (tests, and people who build their own). */
export const SERVER_BUNDLE_ENV = 'TSMOSH_SERVER_BUNDLE';

function packed(): boolean {
  return typeof TSMOSH_PACKED_LAYOUT !== 'undefined' && TSMOSH_PACKED_LAYOUT;
}

/** The root folder of the @tsmosh/server package this CLI runs with (workspace shape only). */
function serverPackageDir(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@tsmosh/server'));
  // Walk up from the package's entry point to its package.json.
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@tsmosh/server') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tsmosh: cannot find the @tsmosh/server package; reinstall tsmosh');
    dir = parent;
  }
}

/** The file that runs `tsmosh-server` on this machine (for --local and its --list/--kill). */
export function serverBinPath(): string {
  if (packed()) return join(dirname(fileURLToPath(import.meta.url)), 'server', 'tsmosh-server.mjs');
  const dir = serverPackageDir();
  const manifest = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['tsmosh-server'];
  if (bin === undefined) throw new Error(`tsmosh: ${manifest} declares no tsmosh-server bin`);
  return join(dir, bin);
}

/** The folder of the server bundle this client installs on hosts (its manifest.json may still be missing). */
export function serverBundleDir(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env[SERVER_BUNDLE_ENV];
  if (chosen !== undefined && chosen !== '') return chosen;
  if (packed()) return join(dirname(fileURLToPath(import.meta.url)), 'server');
  return join(serverPackageDir(), 'bundle');
}
