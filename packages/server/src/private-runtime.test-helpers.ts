/** A daemon's private runtime folder for tests that start a real tsmosh-server, and an environment that uses it. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A runtime folder under a fresh temporary parent (a short path: Unix socket paths are limited to 107 bytes) and the
 * caller's environment without tsmosh's, the locale's or Node's own settings, pointed at it. `create`: make the folder
 * (mode 0700) rather than leave it to the daemon. The parent's removal is handed to `cleanup`.
 */
export function privateRuntime(prefix: string, cleanup: (remove: () => void) => void, create = false): { dir: string; env: NodeJS.ProcessEnv } {
  const parent = mkdtempSync(join(tmpdir(), prefix));
  cleanup(() => rmSync(parent, { recursive: true, force: true }));
  const dir = join(parent, 'rt');
  if (create) mkdirSync(dir, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('TSMOSH_') && !name.startsWith('LC_') && name !== 'LANG' && name !== 'NODE_OPTIONS') env[name] = value;
  }
  return { dir, env: { ...env, TSMOSH_RUNTIME_DIR: dir, LANG: 'C.UTF-8', SHELL: '/bin/sh' } };
}
