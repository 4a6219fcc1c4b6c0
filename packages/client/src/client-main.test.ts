import { afterEach, describe, expect, it, vi } from 'vitest';
import main from './client-main.js';

describe('tsmosh-client main', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    delete process.env.TSMOSH_KEY;
  });

  it('removes TSMOSH_KEY from its environment before anything else, even when it then refuses the arguments', async () => {
    const stderr: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    process.env.TSMOSH_KEY = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    expect(await main(['only-a-host'])).toBe(255);
    expect(process.env.TSMOSH_KEY).toBeUndefined();
    expect(stderr.join('')).toMatch(/^tsmosh-client: expected a host and a port, got 1 argument\(s\)\nusage: /);
  });
});
