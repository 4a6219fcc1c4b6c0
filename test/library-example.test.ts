import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, Workspace, requireBuilt, runBin } from './client-harness.js';

/** docs/library.md's example, run as a user would: plain node against the built packages. */
describe('examples/embed-session.mjs', () => {
  it('hosts a session, connects to it, types, reads the screen and closes', async () => {
    requireBuilt();
    const workspace = new Workspace();
    try {
      const result = await runBin([join(ROOT, 'examples/embed-session.mjs')], workspace.env);
      expect(result.stderr).toBe('');
      expect(result.stdout.split('\n').slice(0, 2)).toEqual(['hello, tsmosh', 'client: user']);
      expect(result.stdout).toMatch(/^server: \S+/m);
      expect(result.code).toBe(0);
    } finally {
      await workspace.dispose();
    }
  });
});
