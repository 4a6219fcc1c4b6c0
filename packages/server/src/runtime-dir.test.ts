import { chmodSync, chownSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServerError } from './errors.js';
import { ensureRuntimeDir, resolveRuntimeDir } from './runtime-dir.js';

describe('resolveRuntimeDir', () => {
  it('prefers TSMOSH_RUNTIME_DIR, then XDG_RUNTIME_DIR/tsmosh, then /tmp/tsmosh-<uid>', () => {
    expect(resolveRuntimeDir({ TSMOSH_RUNTIME_DIR: '/a', XDG_RUNTIME_DIR: '/b' }, 7)).toBe('/a');
    expect(resolveRuntimeDir({ XDG_RUNTIME_DIR: '/b' }, 7)).toBe('/b/tsmosh');
    expect(resolveRuntimeDir({ TSMOSH_RUNTIME_DIR: '', XDG_RUNTIME_DIR: '' }, 7)).toBe('/tmp/tsmosh-7');
  });
});

describe('ensureRuntimeDir', () => {
  let parent: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'tsmosh-rt-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('creates the directory with mode 0700 whatever the umask', () => {
    const previous = process.umask(0o022);
    try {
      const dir = ensureRuntimeDir(join(parent, 'rt'));
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(previous);
    }
  });

  it('accepts an existing 0700 directory of ours', () => {
    const dir = ensureRuntimeDir(join(parent, 'rt'));
    expect(ensureRuntimeDir(dir)).toBe(dir);
  });

  it('refuses a looser mode with one line naming the fix', () => {
    const dir = join(parent, 'rt');
    ensureRuntimeDir(dir);
    chmodSync(dir, 0o755);
    expect(() => ensureRuntimeDir(dir)).toThrow(ServerError);
    expect(() => ensureRuntimeDir(dir)).toThrow(/mode 0755, not 0700; run `chmod 700/);
  });

  it('refuses a directory owned by someone else', () => {
    const dir = join(parent, 'rt');
    ensureRuntimeDir(dir);
    const me = process.getuid!();
    // Pretend to be another user rather than chown (which needs root): the check compares owner and our uid.
    expect(() => ensureRuntimeDir(dir, me + 1)).toThrow(/belongs to uid \d+, not you/);
    if (me === 0) {
      chownSync(dir, 4242, 4242);
      expect(() => ensureRuntimeDir(dir)).toThrow(/belongs to uid 4242/);
    }
  });

  it('refuses a file in the way', () => {
    const path = join(parent, 'rt');
    writeFileSync(path, '');
    expect(() => ensureRuntimeDir(path)).toThrow(/is not a directory/);
  });
});
