import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { parseNewArguments, parsePortSpec } from './server-main.js';

describe('parsePortSpec', () => {
  it('takes PORT and LOW:HIGH as mosh-server does', () => {
    expect(parsePortSpec('60001')).toEqual({ low: 60001, high: 60001 });
    expect(parsePortSpec('60001:60010')).toEqual({ low: 60001, high: 60010 });
    expect(parsePortSpec('0')).toEqual({ low: 0, high: 0 });
    for (const bad of ['', 'x', '70000', '5:4', '0:10', '1:2:3', '-1']) {
      expect(() => parsePortSpec(bad), bad).toThrow(UsageError);
    }
  });
});

describe('parseNewArguments', () => {
  it('collects options and the command after --', () => {
    expect(
      parseNewArguments(['-p', '60005', '-i', '127.0.0.1', '-l', 'LANG=C.UTF-8', '-l', 'LC_ALL=', '--', 'vim', '-x'], {}),
    ).toEqual({
      ports: { low: 60005, high: 60005 },
      bindAddress: '127.0.0.1',
      locale: { LANG: 'C.UTF-8', LC_ALL: '' },
      command: ['vim', '-x'],
    });
  });

  it('binds to the SSH server address with -s', () => {
    const env = { SSH_CONNECTION: '10.0.0.2 50000 ::ffff:10.0.0.1 22' };
    expect(parseNewArguments(['-s'], env).bindAddress).toBe('10.0.0.1');
    expect(() => parseNewArguments(['-s'], {})).toThrow(/SSH_CONNECTION/);
  });

  it('refuses mistakes with one line and the help hint, exit status 2', () => {
    for (const args of [['-x'], ['-p'], ['-i', 'example.com'], ['-l', 'LANG'], ['vim'], ['--']]) {
      let caught: unknown;
      try {
        parseNewArguments(args, {});
      } catch (error) {
        caught = error;
      }
      expect(caught, args.join(' ')).toBeInstanceOf(UsageError);
      expect((caught as UsageError).exitCode).toBe(2);
      expect((caught as UsageError).message).not.toContain('\n');
      expect((caught as UsageError).message).toContain('--help');
    }
  });
});
