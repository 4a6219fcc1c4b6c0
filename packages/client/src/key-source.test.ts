import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readClientKey } from './key-source.js';

describe('readClientKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsmosh-keyfd-'));
  afterEach(() => rmSync(join(dir, 'key'), { force: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const descriptorHolding = (text: string): number => {
    writeFileSync(join(dir, 'key'), text, { mode: 0o600 });
    return openSync(join(dir, 'key'), 'r');
  };

  it('reads the key from TSMOSH_KEY_FD (first line), closes the descriptor, and leaves neither variable behind', () => {
    const fd = descriptorHolding('AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH\nignored\n');
    const env: NodeJS.ProcessEnv = { TSMOSH_KEY_FD: String(fd), TSMOSH_KEY: 'other' };
    expect(readClientKey(env)).toEqual({ key: 'AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH', source: 'TSMOSH_KEY_FD' });
    expect(env).toEqual({});
    expect(() => closeSync(fd)).toThrow(/EBADF/);
  });

  it('falls back to TSMOSH_KEY, and says in one line what is wrong otherwise', () => {
    expect(readClientKey({ TSMOSH_KEY: 'k' })).toEqual({ key: 'k', source: 'TSMOSH_KEY' });
    expect(readClientKey({})).toMatchObject({ error: expect.stringMatching(/^tsmosh-client: TSMOSH_KEY is not set; .*TSMOSH_KEY_FD/) });
    expect(readClientKey({ TSMOSH_KEY_FD: '1' })).toMatchObject({ error: expect.stringMatching(/of 3 or more/) });
    expect(readClientKey({ TSMOSH_KEY_FD: '977' })).toMatchObject({ error: expect.stringMatching(/cannot read the key from file descriptor 977 .*EBADF/) });
    expect(readClientKey({ TSMOSH_KEY_FD: String(descriptorHolding('\n')) })).toMatchObject({ error: expect.stringMatching(/held no key/) });
  });
});
