import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ECHO_OFF_ENV, ECHO_OFF_SHELL, EchoOffGate, SHELL_RESETS, echoOffStart } from './echo-off-start.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/** Feeds `chunks` through a gate: what it let through, and how it opened. */
function feed(chunks: readonly Uint8Array[]): { output: string; opened: Array<string | undefined> } {
  const gate = new EchoOffGate();
  let output = '';
  const opened: Array<string | undefined> = [];
  for (const chunk of chunks) {
    const result = gate.take(chunk);
    output += decode(result.output);
    if (result.opened !== undefined) opened.push(result.opened.failure);
  }
  return { output, opened };
}

/** `bytes` cut at `cuts` (positions, any order, repeats allowed). */
function cut(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.byteLength]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}

describe('echoOffStart', () => {
  it('starts the program through the shell with its file and arguments, its environment never in an argument', () => {
    const start = echoOffStart('vim', ['-u', 'NONE', ''], { PATH: '/bin', TOKEN: 'hunter2' }, () => true);
    expect(start.ok).toBe(true);
    if (!start.ok) return;
    expect(start.file).toBe(ECHO_OFF_SHELL);
    expect(start.args.slice(0, 2)).toEqual(['-c', expect.stringContaining(`stty -echo`)]);
    expect(start.args[1]).toContain('exec "$@"');
    // A process's arguments are world-readable (ps): the environment goes through the shell's own.
    expect(start.args.slice(2)).toEqual(['sh', 'vim', '-u', 'NONE', '']);
  });

  it('gives back through env only what the shell would reset or drop, never the rest', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.%]{0,8}$/), fc.string({ maxLength: 8 })), (env) => {
        const start = echoOffStart('ls', ['-l'], env, () => true);
        expect(start.ok).toBe(true);
        if (!start.ok) return;
        const corrected = Object.entries(env)
          .filter(([name]) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || SHELL_RESETS.includes(name))
          .map(([name, value]) => `${name}=${value}`);
        expect(start.args.slice(3)).toEqual(corrected.length === 0 ? ['ls', '-l'] : [ECHO_OFF_ENV, ...corrected, 'ls', '-l']);
      }),
    );
    expect(echoOffStart('ls', [], { IFS: ':', 'BASH_FUNC_f%%': '() { :; }' }, () => true)).toMatchObject({ args: ['-c', expect.any(String), 'sh', ECHO_OFF_ENV, 'IFS=:', 'BASH_FUNC_f%%=() { :; }', 'ls'] });
  });

  it('says why not where env could not be told the program or its environment, or the shell is missing', () => {
    expect(echoOffStart('a=b', [], { 'a.b': '1' }, () => true)).toEqual({ ok: false, reason: expect.stringContaining("'='") });
    expect(echoOffStart('a=b', [], {}, () => true)).toMatchObject({ ok: true, args: ['-c', expect.any(String), 'sh', 'a=b'] });
    expect(echoOffStart('ls', [], { '-x': '1' }, () => true)).toEqual({ ok: false, reason: expect.stringContaining('"-x"') });
    expect(echoOffStart('ls', [], { 'a.b': '1' }, (path) => path !== ECHO_OFF_ENV)).toEqual({ ok: false, reason: `${ECHO_OFF_ENV} is not there to start the program` });
    expect(echoOffStart('ls', [], {}, (path) => path !== ECHO_OFF_SHELL)).toEqual({ ok: false, reason: `${ECHO_OFF_SHELL} is not there to start the program` });
  });
});

describe('EchoOffGate', () => {
  it('takes the answer out however the reads cut it, and gives back everything after it', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 127), fc.uint8Array({ maxLength: 40 }), fc.array(fc.nat(80), { maxLength: 6 }), (status, rest, cuts) => {
        const answer = encode(`\x1b_tsmosh-echo-off;${status}\x1b\\`);
        const all = new Uint8Array([...answer, ...rest]);
        const { output, opened } = feed(cut(all, cuts));
        expect(output).toBe(decode(rest));
        expect(opened).toEqual([status === 0 ? undefined : `stty -echo ended with status ${status}`]);
      }),
    );
  });

  it('gives output that is not the answer back whole, once, with a failure', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.array(fc.nat(60), { maxLength: 4 }), (bytes, cuts) => {
        fc.pre(bytes[0] !== 0x1b);
        const { output, opened } = feed(cut(bytes, cuts));
        expect(output).toBe(decode(bytes));
        expect(opened).toEqual(["the pty's first output was not the echo-off answer"]);
      }),
    );
    // The answer's start, then something else: nothing kept back is lost.
    expect(feed([encode('\x1b_tsmosh-echo'), encode('X')])).toEqual({ output: '\x1b_tsmosh-echoX', opened: ["the pty's first output was not the echo-off answer"] });
    expect(feed([encode('\x1b_tsmosh-echo-off;1234\x1b\\')]).opened).toEqual(["the pty's first output was not the echo-off answer"]);
  });

  it('opens without an answer when given up, once', () => {
    const gate = new EchoOffGate();
    expect(gate.take(encode('\x1b_tsm')).output.byteLength).toBe(0);
    expect(gate.giveUp('late').opened).toEqual({ failure: 'late' });
    expect(gate.open).toBe(true);
    expect(gate.giveUp('again').opened).toBeUndefined();
    expect(decode(gate.take(encode('after')).output)).toBe('after');
  });
});
