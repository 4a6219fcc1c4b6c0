import { describe, expect, it } from 'vitest';
import { ServerError } from './errors.js';
import { buildSessionEnvironment, defaultCommand, effectiveCtype, installedLocales, installedLocalesLater, isUtf8LocaleName, normalizeLocaleName } from './session-environment.js';
import { parseNetworkTimeout, parseNoClientTimeout, NO_CLIENT_TIMEOUT_MS } from './session.js';

const installed = new Set(['C', 'POSIX', 'C.utf8', 'en_US.utf8']);

describe('session environment', () => {
  it('reads the character set by POSIX precedence and recognizes UTF-8 names', () => {
    expect(effectiveCtype({ LANG: 'en_US.UTF-8', LC_CTYPE: 'C', LC_ALL: '' })).toBe('C');
    expect(effectiveCtype({})).toBe('C');
    expect(isUtf8LocaleName('en_US.UTF-8')).toBe(true);
    expect(isUtf8LocaleName('C.utf8')).toBe(true);
    expect(isUtf8LocaleName('de_DE.utf8@euro')).toBe(true);
    expect(isUtf8LocaleName('en_US.ISO-8859-1')).toBe(false);
    expect(isUtf8LocaleName('C')).toBe(false);
    expect(normalizeLocaleName('en_US.UTF-8')).toBe('en_US.utf8');
  });

  it("keeps the caller's UTF-8 locale and ignores -l then", () => {
    const env = buildSessionEnvironment({
      env: { LANG: 'C.UTF-8', HOME: '/h', STY: 'x', TMUX: 'y' },
      locale: { LANG: 'en_US.UTF-8' },
      installedLocales: installed,
    });
    expect(env).toMatchObject({ LANG: 'C.UTF-8', HOME: '/h', TERM: 'xterm-256color' });
    expect(env.STY).toBeUndefined();
    expect(env.TMUX).toBeUndefined();
  });

  it('falls back to the -l variables, dropping the non-UTF-8 ones', () => {
    const env = buildSessionEnvironment({
      env: { LANG: 'C', LC_MESSAGES: 'C' },
      locale: { LANG: 'en_US.UTF-8' },
      installedLocales: installed,
    });
    expect(env.LANG).toBe('en_US.UTF-8');
    expect(env.LC_MESSAGES).toBeUndefined();
  });

  it('refuses with one actionable line when no UTF-8 locale is available', () => {
    const attempts: Array<{ env: Record<string, string>; locale?: Record<string, string> }> = [
      { env: { LANG: 'C' } },
      { env: { LC_ALL: 'en_US.ISO-8859-1' }, locale: { LANG: 'C' } },
      // Named UTF-8 but not installed: the shell would silently run in the C locale.
      { env: { LANG: 'fr_FR.UTF-8' } },
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        buildSessionEnvironment({ ...attempt, installedLocales: installed });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ServerError);
      expect((caught as ServerError).code).toBe('locale');
      expect((caught as ServerError).message).toMatch(/needs a UTF-8 locale.*-l LANG=C\.UTF-8/);
      expect((caught as ServerError).message).not.toContain('\n');
    }
  });

  it('trusts the name alone when the installed locales are unknown', () => {
    expect(buildSessionEnvironment({ env: { LANG: 'fr_FR.UTF-8' }, installedLocales: undefined }).LANG).toBe('fr_FR.UTF-8');
  });

  it('validates TSMOSH_SERVER_NETWORK_TMOUT like mosh: positive integer seconds, else a warning', () => {
    expect(parseNetworkTimeout(undefined)).toEqual({});
    expect(parseNetworkTimeout('5')).toEqual({ timeoutMs: 5000 });
    for (const bad of ['0', '-3', 'soon', '1.5', '1e3']) {
      const parsed = parseNetworkTimeout(bad);
      expect(parsed.timeoutMs, bad).toBeUndefined();
      expect(parsed.warning, bad).toMatch(/ignoring TSMOSH_SERVER_NETWORK_TMOUT/);
    }
    expect(parseNoClientTimeout('250')).toBe(250);
    expect(parseNoClientTimeout('nope')).toBe(NO_CLIENT_TIMEOUT_MS);
  });

  it('runs the login shell by default', () => {
    expect(defaultCommand({ SHELL: '/bin/zsh' })).toEqual(['/bin/zsh', '-l']);
    expect(defaultCommand({})[1]).toBe('-l');
  });
});

describe('installedLocalesLater', () => {
  it("reads this machine's `locale -a` as installedLocales does, without blocking", async () => {
    const later = installedLocalesLater();
    const now = installedLocales();
    expect(await later).toEqual(now);
    // C.UTF-8 is built into the C library wherever `locale -a` runs here (Debian 12's glibc lists C.utf8).
    if (now !== undefined) expect(now.has('C.utf8')).toBe(true);
  });
});
