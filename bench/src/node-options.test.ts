import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hashbangNodeOptions } from './node-options.js';

const dir = mkdtempSync(join(tmpdir(), 'hashbang-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = (firstLine: string): string => {
  const path = join(dir, `bin-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(path, `${firstLine}\nconsole.log('x');\n`);
  return path;
};

describe('hashbangNodeOptions', () => {
  it('reads the options after `env -S node`, and none from a plain `env node` line', () => {
    expect(hashbangNodeOptions(bin('#!/usr/bin/env -S node --max-semi-space-size=2 --v8-pool-size=1'))).toEqual(['--max-semi-space-size=2', '--v8-pool-size=1']);
    expect(hashbangNodeOptions(bin('#!/usr/bin/env node'))).toEqual([]);
  });

  it('refuses a first line that does not start node, naming the file', () => {
    const path = bin('#!/bin/sh');
    expect(() => hashbangNodeOptions(path)).toThrow(path);
    expect(() => hashbangNodeOptions(bin('import x from "y";'))).toThrow(/not a "#!\/usr\/bin\/env -S node/);
  });

  it('reads the client bins: tsmosh-client (which the lossy-link bench starts) and tsmosh give node the same options', () => {
    const client = hashbangNodeOptions(fileURLToPath(new URL('../../packages/client/bin/tsmosh-client.js', import.meta.url)));
    const cli = hashbangNodeOptions(fileURLToPath(new URL('../../packages/cli/bin/tsmosh.js', import.meta.url)));
    expect(client.length).toBeGreaterThan(0);
    expect(client.every((option) => option.startsWith('--'))).toBe(true);
    expect(cli).toEqual(client);
  });
});
