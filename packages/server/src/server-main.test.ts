import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_MISMATCH_EXIT_STATUS, PROTOCOL_VERSION, REQUIRE_PROTOCOL_ENV } from '@tsmosh/protocol';
import { UsageError } from './errors.js';
import { formatSessionTable, parseDuration, parseNewArguments, parsePortSpec, protocolMismatch, rotateDaemonLog } from './server-main.js';
import { SERVER_VERSION } from './version.js';

describe('rotateDaemonLog', () => {
  it('moves an outgrown log to daemon.log.1, replacing an older one, and leaves a small or missing log alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsmosh-log-test-'));
    try {
      const log = join(dir, 'daemon.log');
      rotateDaemonLog(log, 100); // no log yet: nothing to do
      expect(existsSync(log)).toBe(false);
      writeFileSync(log, 'small\n');
      rotateDaemonLog(log, 100);
      expect(readFileSync(log, 'utf8')).toBe('small\n');
      writeFileSync(`${log}.1`, 'oldest\n');
      writeFileSync(log, 'x'.repeat(101));
      rotateDaemonLog(log, 100);
      expect(existsSync(log)).toBe(false);
      expect(readFileSync(`${log}.1`, 'utf8')).toBe('x'.repeat(101));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

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
      terminal: {},
      command: ['vim', '-x'],
    });
  });

  it('takes a text session\'s asks: keep every line, and start the command with the echo off', () => {
    expect(parseNewArguments(['--keep-every-line', '--no-echo', '--', 'sort'], {})).toMatchObject({ keepEveryLine: true, noEcho: true, command: ['sort'] });
    expect(parseNewArguments(['--', 'sort'], {}).noEcho).toBeUndefined();
  });

  it("takes the client's terminal identity with -e, and nothing else that way", () => {
    expect(parseNewArguments(['-e', 'TERM_PROGRAM=WezTerm', '-e', 'COLORTERM=truecolor', '--', 'sh'], {}).terminal).toEqual({
      TERM_PROGRAM: 'WezTerm',
      COLORTERM: 'truecolor',
    });
    for (const bad of ['PATH=/tmp/evil', 'LD_PRELOAD=/x.so', 'TERM=dumb', 'TERM_PROGRAM', `TERM_PROGRAM=${'x'.repeat(300)}`, 'TERM_PROGRAM=a\x1bb']) {
      expect(() => parseNewArguments(['-e', bad], {}), bad).toThrow(UsageError);
    }
  });

  it("takes what the client's terminal answered with --terminal-answers, refusing what no client writes", () => {
    expect(parseNewArguments(['--terminal-answers', '3:kitty(0.39.1)', '--', 'sh'], {}).terminalAnswers).toEqual({
      kittyKeyboard: true,
      synchronizedOutput: true,
      version: 'kitty(0.39.1)',
    });
    expect(parseNewArguments(['--terminal-answers', '0:'], {}).terminalAnswers).toEqual({ kittyKeyboard: false, synchronizedOutput: false, version: '' });
    for (const bad of ['kitty', '8:x', '1:a\x1bb']) {
      expect(() => parseNewArguments(['--terminal-answers', bad], {}), bad).toThrow(/--terminal-answers/);
    }
  });

  it("takes the client's window with --size COLSxROWS, refusing a size the wire does not carry", () => {
    expect(parseNewArguments(['--size', '120x40', '--', 'sh'], {}).windowSize).toEqual({ cols: 120, rows: 40 });
    expect(parseNewArguments(['--size', '1x1'], {}).windowSize).toEqual({ cols: 1, rows: 1 });
    for (const bad of ['120', '0x24', '80x0', '1001x24', '80x24x2', 'ax24', '-80x24', '80X24']) {
      expect(() => parseNewArguments(['--size', bad], {}), bad).toThrow(/^tsmosh-server: --size .*: expected COLSxROWS/);
    }
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

describe('named sessions on the command line', () => {
  it('parses --name and --idle-timeout, refusing names that are not safe', () => {
    expect(parseNewArguments(['--name', 'work', '--idle-timeout', '12h', '--', 'claude'])).toMatchObject({
      name: 'work',
      idleTimeoutMs: 12 * 3_600_000,
      command: ['claude'],
    });
    for (const bad of ['', '-x', '.hidden', 'a/b', 'x'.repeat(65), 'sp ace']) {
      expect(() => parseNewArguments(['--name', bad])).toThrow(/--name/);
    }
  });

  it('reads durations with units, and 0 or never as no timeout', () => {
    expect(parseDuration('90', '--idle-timeout')).toBe(90_000);
    expect(parseDuration('90s', '--idle-timeout')).toBe(90_000);
    expect(parseDuration('30m', '--idle-timeout')).toBe(1_800_000);
    expect(parseDuration('7d', '--idle-timeout')).toBe(7 * 86_400_000);
    expect(parseDuration('0', '--idle-timeout')).toBe(0);
    expect(parseDuration('never', '--idle-timeout')).toBe(0);
    expect(() => parseDuration('soon', '--idle-timeout')).toThrow(/expected a duration such as 90s/);
  });

  it('lists sessions as an aligned table with the command last', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const table = formatSessionTable(
      [
        { sessionId: '0123456789abcdef', name: 'work', port: 60001, pid: 42, command: ['claude'], startedAt: '2026-01-01T09:55:00Z', clientAddress: '10.0.0.5:5000', lastHeardMsAgo: 1200, attached: true, pendingAttaches: 0, idleTimeoutMs: undefined, drops: {} },
        { sessionId: 'fedcba9876543210', name: undefined, port: 60001, pid: 43, command: ['bash', '-l'], startedAt: '2026-01-01T11:59:15Z', clientAddress: undefined, lastHeardMsAgo: undefined, attached: false, pendingAttaches: 1, idleTimeoutMs: 60_000, drops: {} },
      ],
      now,
    ).split('\n');
    expect(table[0]).toBe('NAME  ID                AGE    LAST CONTACT  ATTACHED             PORT   COMMAND');
    expect(table[1]).toBe('work  0123456789abcdef  2h05m  1s ago        yes (10.0.0.5:5000)  60001  claude');
    expect(table[2]).toBe('-     fedcba9876543210  45s    never         no (attach pending)  60001  bash -l');
    expect(formatSessionTable([], now)).toBe('no sessions\n');
  });
});

describe('a client that requires a protocol', () => {
  const bin = fileURLToPath(new URL('../bin/tsmosh-server.js', import.meta.url));

  it('is refused by a server of another protocol, for the commands that act on sessions only', () => {
    const other = { [REQUIRE_PROTOCOL_ENV]: String(PROTOCOL_VERSION + 1) };
    expect(protocolMismatch(other, 'new')).toBe(`tsmosh-server ${SERVER_VERSION} speaks protocol ${PROTOCOL_VERSION}, the client needs ${PROTOCOL_VERSION + 1}`);
    for (const subcommand of ['list', 'kill', 'status']) expect(protocolMismatch(other, subcommand)).toBeDefined();
    for (const subcommand of ['daemon', '--version', undefined]) expect(protocolMismatch(other, subcommand)).toBeUndefined();
    expect(protocolMismatch({ [REQUIRE_PROTOCOL_ENV]: String(PROTOCOL_VERSION) }, 'new')).toBeUndefined();
    expect(protocolMismatch({}, 'new')).toBeUndefined();
  });

  it(`exits ${PROTOCOL_MISMATCH_EXIT_STATUS} with one line, before touching any daemon`, () => {
    const result = spawnSync(process.execPath, [bin, 'new', '--', 'true'], {
      env: { ...process.env, [REQUIRE_PROTOCOL_ENV]: '999', TSMOSH_RUNTIME_DIR: '/nonexistent/tsmosh-test' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(PROTOCOL_MISMATCH_EXIT_STATUS);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`tsmosh-server ${SERVER_VERSION} speaks protocol ${PROTOCOL_VERSION}, the client needs 999\n`);
  });
});
