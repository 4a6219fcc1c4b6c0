import { describe, expect, it } from 'vitest';
import { parseServerOutput, shellQuote } from './bootstrap.js';
import { splitCommandLine } from './system-ssh.js';

describe('splitCommandLine', () => {
  it('splits like a shell for simple quoting', () => {
    expect(splitCommandLine('ssh')).toEqual(['ssh']);
    expect(splitCommandLine(`ssh -F "/a b/config" -o 'User=x y' a\\ b`)).toEqual(['ssh', '-F', '/a b/config', '-o', 'User=x y', 'a b']);
    expect(splitCommandLine(`ssh ''`)).toEqual(['ssh', '']);
    expect(() => splitCommandLine(`ssh "oops`)).toThrow(/unbalanced/);
  });
});

describe('shellQuote', () => {
  it('leaves plain words alone and quotes the rest safely', () => {
    expect(shellQuote('LANG=C.UTF-8')).toBe('LANG=C.UTF-8');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('a b;rm -rf /')).toBe(`'a b;rm -rf /'`);
  });
});

describe('parseServerOutput', () => {
  it('finds the CONNECT line among other output', () => {
    expect(parseServerOutput('motd\r\nTSMOSH CONNECT 60001 abcdefghijklmnopqrstuvwxyzABCDEF\r\n')).toEqual({
      port: 60001,
      key: 'abcdefghijklmnopqrstuvwxyzABCDEF',
      otherLines: ['motd'],
    });
    expect(parseServerOutput('no session here\n')).toEqual({ otherLines: ['no session here'] });
  });
});
