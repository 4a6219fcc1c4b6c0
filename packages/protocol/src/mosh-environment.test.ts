import { describe, expect, it } from 'vitest';
import { adoptMoshEnvironment } from './mosh-environment.js';

describe('adoptMoshEnvironment', () => {
  it("reads mosh's names where the tsmosh ones are unset, and never overrides a tsmosh setting", () => {
    const env: Record<string, string | undefined> = {
      MOSH_ESCAPE_KEY: '~',
      MOSH_PREDICTION_DISPLAY: 'never',
      TSMOSH_PREDICTION_DISPLAY: 'always',
      MOSH_SERVER_NETWORK_TMOUT: '600',
      MOSH_KEY: 'a-mosh-key',
    };
    adoptMoshEnvironment(env);
    expect(env.TSMOSH_ESCAPE_KEY).toBe('~');
    expect(env.TSMOSH_PREDICTION_DISPLAY).toBe('always');
    expect(env.TSMOSH_SERVER_NETWORK_TMOUT).toBe('600');
    expect(env.TSMOSH_KEY).toBeUndefined();
  });
});
