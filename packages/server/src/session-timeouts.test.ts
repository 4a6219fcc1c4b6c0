import { describe, expect, it } from 'vitest';
import { DAEMON_IDLE_LINGER_MS, parseIdleLinger } from './session-timeouts.js';

describe('parseIdleLinger', () => {
  it('takes whole milliseconds, 0 (exit with the last session) included', () => {
    expect(parseIdleLinger('0')).toBe(0);
    expect(parseIdleLinger('250')).toBe(250);
    expect(parseIdleLinger(' 60000 ')).toBe(60_000);
  });

  it('falls back to the default for anything else', () => {
    for (const value of [undefined, '', 'soon', '-5', '1.5', '3s', '1234567890']) expect(parseIdleLinger(value)).toBe(DAEMON_IDLE_LINGER_MS);
  });
});
