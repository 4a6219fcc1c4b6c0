import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { onSide, parseCpuSides, pinProcess } from './cpu-sides.js';

/** The CPUs a process may run on, as the kernel reports them (`0`, `0-1`). */
function allowedOf(pid: number | 'self'): string {
  const status = execFileSync('cat', [`/proc/${pid}/status`]).toString();
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)![1]!;
}

describe('parseCpuSides', () => {
  it('is off when unset or empty', () => {
    expect(parseCpuSides(undefined, 2)).toBeUndefined();
    expect(parseCpuSides('', 2)).toBeUndefined();
  });

  it('puts the laptop on CPU 0 and the server on CPU 1 for 1, the link on every CPU', () => {
    expect(parseCpuSides('1', 2)).toEqual({ laptop: '0', server: '1', all: '0-1' });
    expect(parseCpuSides('1', 4)).toEqual({ laptop: '0', server: '1', all: '0-3' });
  });

  it('takes two CPU lists', () => {
    expect(parseCpuSides('0-1:2,3', 4)).toEqual({ laptop: '0-1', server: '2,3', all: '0-3' });
  });

  it('refuses shared CPUs, CPUs the machine lacks, one core, and what is not a list', () => {
    expect(() => parseCpuSides('0:0', 2)).toThrow(/share CPU 0/);
    expect(() => parseCpuSides('0-1:1', 4)).toThrow(/share CPU 1/);
    expect(() => parseCpuSides('1', 1)).toThrow(/CPU 1 is not on this machine/);
    expect(() => parseCpuSides('0:5', 2)).toThrow(/CPU 5 is not on this machine/);
    expect(() => parseCpuSides('yes', 2)).toThrow(/give 1/);
    expect(() => parseCpuSides('0:', 2)).toThrow(/give 1/);
  });
});

describe('onSide', () => {
  it('leaves a command as it is when pinning is off', () => {
    expect(onSide(undefined, 'server', 'bash', ['-l'])).toEqual({ file: 'bash', args: ['-l'] });
  });

  it("prefixes taskset with the side's CPUs", () => {
    const sides = { laptop: '0', server: '1', all: '0-1' };
    expect(onSide(sides, 'laptop', 'node', ['c.js'])).toEqual({ file: 'taskset', args: ['-c', '0', 'node', 'c.js'] });
    expect(onSide(sides, 'server', 'mosh-server', ['new'])).toEqual({ file: 'taskset', args: ['-c', '1', 'mosh-server', 'new'] });
    expect(onSide(sides, 'link', 'perl', ['-e', 'x'])).toEqual({ file: 'taskset', args: ['-c', '0-1', 'perl', '-e', 'x'] });
  });
});

describe.skipIf(cpus().length < 2)('on this machine', () => {
  const sides = parseCpuSides('1', cpus().length)!;

  it("runs a server-side command and what it starts on the server's CPU, under the same pid", () => {
    const { file, args } = onSide(sides, 'server', 'sh', ['-c', 'echo $$; grep Cpus_allowed_list /proc/self/status']);
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('error', reject);
      child.once('exit', () => {
        const [pid, allowed] = out.trim().split('\n');
        // taskset execs in place: the pid a session keeps (a client's, sshd's listener) is the program's.
        expect(Number(pid)).toBe(child.pid);
        // The grep is the shell's child: the affinity is inherited.
        expect(allowed).toMatch(new RegExp(`^Cpus_allowed_list:\\s*${sides.server}$`));
        resolve();
      });
    });
  });

  it('pins every thread of a running process', async () => {
    // A running node process has several threads (V8's, libuv's): wait until it runs.
    const child = spawn(process.execPath, ['-e', "console.log('up'); setTimeout(() => {}, 60000)"], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => child.stdout!.once('data', resolve));
      expect(allowedOf(child.pid!)).toBe(sides.all);
      pinProcess(child.pid!, sides.laptop);
      const threads = execFileSync('ls', [`/proc/${child.pid}/task`]).toString().trim().split('\n');
      expect(threads.length).toBeGreaterThan(1);
      for (const tid of threads) expect(allowedOf(Number(tid))).toBe(sides.laptop);
    } finally {
      child.kill();
    }
  });
});
