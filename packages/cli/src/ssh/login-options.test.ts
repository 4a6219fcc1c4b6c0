import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readLoginOption, resolveOptionsFor } from './login-options.js';

describe('ssh login options on the command line', () => {
  it('reads each flag with its word, separate or attached, and says where the next argument is', () => {
    expect(readLoginOption(['-i', 'key', 'host'], 0)).toEqual({ kind: 'option', arguments: ['-i', 'key'], nextIndex: 2 });
    expect(readLoginOption(['-ikey', 'host'], 0)).toEqual({ kind: 'option', arguments: ['-i', 'key'], nextIndex: 1 });
    expect(readLoginOption(['x', '-J', 'a@b:2222,c'], 1)).toEqual({ kind: 'option', arguments: ['-J', 'a@b:2222,c'], nextIndex: 3 });
    expect(readLoginOption(['-oPort=2222'], 0)).toEqual({ kind: 'option', arguments: ['-o', 'Port=2222'], nextIndex: 1 });
    expect(readLoginOption(['-o', 'Port 2222'], 0)).toEqual({ kind: 'option', arguments: ['-o', 'Port 2222'], nextIndex: 2 });
  });
  it("leaves mosh's bare -o and every other argument alone", () => {
    expect(readLoginOption(['-o', 'host'], 0)).toBeUndefined();
    expect(readLoginOption(['-o'], 0)).toBeUndefined();
    for (const arg of ['host', '-A', '-L', '-4', '--local', '--idle-timeout=1h', '-p']) expect(readLoginOption([arg, 'x'], 0)).toBeUndefined();
  });
  it('refuses a flag without its word in one line', () => {
    for (const flag of ['-i', '-J', '-l', '-F']) {
      const read = readLoginOption([flag], 0);
      expect(read).toMatchObject({ kind: 'error', message: expect.stringMatching(new RegExp(`^tsmosh: ${flag} needs .*, as with ssh$`)) });
    }
  });
  it("turns them into the resolver's overrides: config lines in order, the first -l and -F", () => {
    expect(resolveOptionsFor(['-o', 'Port=2222', '-i', '/k/my key', '-J', 'bastion', '-l', 'me', '-l', 'other', '-F', '~/cfg', '-F', 'x'], '/home/u')).toEqual({
      commandLine: ['Port=2222', 'IdentityFile "/k/my key"', 'ProxyJump bastion'],
      configFiles: ['/home/u/cfg'],
      user: 'me',
    });
    expect(resolveOptionsFor(['-F', 'none'])).toEqual({ configFiles: [] });
    expect(resolveOptionsFor([])).toEqual({});
  });
  it('reads back every option it is given, whatever the order and form (property)', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9_./~@:,-]{1,12}$/);
    const option = fc.oneof(
      fc.tuple(fc.constantFrom('-i', '-J', '-l', '-F'), word),
      fc.tuple(fc.constant('-o'), fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,10}$/), word).map(([key, value]) => `${key}=${value}`)),
    );
    fc.assert(
      fc.property(fc.array(option, { maxLength: 6 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (options, attached) => {
        const argv = options.flatMap(([flag, value], i) => (attached[i] ? [`${flag}${value}`] : [flag, value]));
        const read: string[] = [];
        for (let index = 0; index < argv.length; ) {
          const next = readLoginOption(argv, index);
          if (next?.kind !== 'option') return false;
          read.push(...next.arguments);
          index = next.nextIndex;
        }
        expect(read).toEqual(options.flat());
        return true;
      }),
    );
  });
});
