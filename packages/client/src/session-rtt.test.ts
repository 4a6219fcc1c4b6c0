import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SessionKey } from '@tsmosh/protocol';
import { connect } from './session.js';

describe('connect() RTT seed', () => {
  it('starts the RTT estimate from a measured round trip instead of a guess', async () => {
    // A bound UDP socket that never answers: only the client's own estimate is visible.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const { port } = silent.address();
    const key = SessionKey.generate((n) => new Uint8Array(randomBytes(n))).toString();
    const seeded = connect({ host: '127.0.0.1', port, key, cols: 80, rows: 24, initialRttMs: 240 });
    const unseeded = connect({ host: '127.0.0.1', port, key, cols: 80, rows: 24 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seeded.status.estimatedRttMs).toBe(240);
      expect(seeded.status.srttMs).toBeUndefined(); // nothing measured on this session yet
      expect(unseeded.status.estimatedRttMs).toBeUndefined();
    } finally {
      await Promise.all([seeded.close(), unseeded.close()]);
      silent.close();
    }
  });
});
