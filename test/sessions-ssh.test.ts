/**
 * Named sessions end to end, as a user runs them (issue 8): the `tsmosh` bin in a pty logs in to a real sshd on
 * 127.0.0.1 (throwaway host key and authorized key), runs this repository's tsmosh-server there, and talks UDP.
 * The client is killed with SIGKILL and replaced; a live client is taken over; --list and --kill; what the client
 * remembers locally. Stale keys and twenty sessions per port are shown at the server level (sessions.test.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateDirectory } from '@tsmosh/protocol';
import type { PtyProgram } from './client-harness.js';
import { startSshTestHost, type SshTestHost } from './helpers/ssh-host.js';
import { sshdAvailable } from './helpers/sshd.js';

/** Keeps printing a numbered tick and answers each typed line with `got:<line>` (see sessions.test.ts). */
const TICKER = ['bash', '--norc', '--noprofile', '-c', '(i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done) & while read -r line; do echo "got:$line"; done'];

describe.skipIf(!sshdAvailable)('named sessions over SSH', () => {
  let host: SshTestHost;
  let home: string;
  let serverCommand: string;

  beforeAll(async () => {
    host = await startSshTestHost({ testhostLines: ['StrictHostKeyChecking accept-new'] });
    ({ home, serverCommand } = host);
  });

  afterAll(async () => {
    await host?.dispose();
  });

  const tsmosh = (args: string[]): PtyProgram => host.tsmosh(args);

  /** Runs a tsmosh command that prints and exits (--list, --kill); returns its screen. */
  async function oneShot(args: string[], env?: Readonly<Record<string, string>>): Promise<{ exitCode: number; text: string }> {
    const program = host.tsmosh(args, env);
    const { exitCode } = await program.waitForExit();
    return { exitCode, text: (await program.logicalLines()).join('\n') };
  }

  const lastTick = (lines: string[]): number => Math.max(0, ...lines.map((line) => Number(/^tick (\d+)$/.exec(line)?.[1] ?? 0)));

  it('reattaches after the client is killed with SIGKILL, with nothing but a new SSH login; a live client is taken over', async () => {
    const first = tsmosh(['testhost', `--server=${serverCommand}`, '--session', 'cc', '--', ...TICKER]);
    await first.waitForText(/tick \d+/);
    first.type('one\r');
    await first.waitForText('got:one');
    const seen = lastTick(await first.screen());
    first.kill(); // SIGKILL
    await first.exited;

    // What this machine remembers: the session by name and how to reach its server; no key. In the state folder the
    // shared rule names: here the workspace's private runtime folder's (the daemon's records beside it, in sessions/).
    const stateDir = stateDirectory(host.workspace.env, home);
    expect(stateDir).toBe(join(host.workspace.runtimeDir, 'state'));
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    const [file] = readdirSync(stateDir).filter((name) => name.startsWith('host-'));
    expect(statSync(join(stateDir, file!)).mode & 0o777).toBe(0o600);
    const stored = readFileSync(join(stateDir, file!), 'utf8');
    expect(JSON.parse(stored)).toMatchObject({ destination: 'testhost', sessions: { cc: { name: 'cc', clientState: 'attached', serverCommand } } });
    expect(stored).not.toMatch(/"key"|secret/i);

    // The same command without --server or the program: the local state and the host's name supply them.
    const second = tsmosh(['testhost', '--session', 'cc']);
    await second.waitFor('the ticker, still counting', (lines) => lastTick(lines) > seen);
    second.type('two\r');
    await second.waitForText('got:two');

    const listing = await oneShot(['testhost', `--server=${serverCommand}`, '--list']);
    expect(listing.exitCode).toBe(0);
    expect(listing.text).toMatch(/NAME\s+ID\s+AGE\s+LAST CONTACT\s+ATTACHED/);
    expect(listing.text).toMatch(/^cc\s+[0-9a-f]{16}\s+\S+\s+\S+ ago\s+yes \(127\.0\.0\.1:\d+\)\s+\d+\s+bash --norc/m);

    // A third client (another device, say) takes it over while the second is alive.
    const third = tsmosh(['testhost', '--session', 'cc']);
    const { exitCode } = await second.waitForExit();
    expect(exitCode).toBe(0);
    expect((await second.logicalLines()).join('\n')).toMatch(/tsmosh: this session was taken over by another client \(at 127\.0\.0\.1:\d+\); it goes on there\./);
    third.type('three\r');
    await third.waitForText('got:three');

    // Quitting leaves the named session running, and says how to come back.
    third.type('\x1e.');
    expect((await third.waitForExit()).exitCode).toBe(0);
    expect((await third.logicalLines()).join('\n')).toContain('tsmosh: session cc goes on on testhost: `tsmosh testhost --session cc` returns to it');
    const fourth = tsmosh(['testhost', '--session', 'cc']);
    await fourth.waitForText(/tick \d+/);
    fourth.type('four\r');
    await fourth.waitForText('got:four');

    const killed = await oneShot(['testhost', `--server=${serverCommand}`, '--kill', 'cc']);
    expect(killed.exitCode).toBe(0);
    expect(killed.text).toContain('tsmosh: session cc on testhost ended.');
    // Ended on the server, not by its program: 255, as ssh's when its connection is closed (exit-status.ts).
    expect((await fourth.waitForExit()).exitCode).toBe(255);
    expect((await fourth.logicalLines()).join('\n')).toContain('tsmosh: the session ended: the session was killed on the server (tsmosh-server kill).');
    const after = await oneShot(['testhost', `--server=${serverCommand}`, '--list', '--json']);
    expect(after.exitCode).toBe(0);
    expect(after.text).not.toContain('"cc"');
  });

  it('lists and kills sessions through the system OpenSSH client (--ssh) too', async () => {
    const ssh = `--ssh=${host.openSshCommand()}`;
    const first = tsmosh(['viassh', ssh, `--server=${serverCommand}`, '--session', 'via-openssh', '--', ...TICKER]);
    await first.waitForText(/tick \d+/);
    first.kill();
    await first.exited;
    const listing = await oneShot(['viassh', ssh, `--server=${serverCommand}`, '--list']);
    expect(listing.exitCode).toBe(0);
    expect(listing.text).toMatch(/^via-openssh\s+[0-9a-f]{16}\s/m);
    const unknown = await oneShot(['viassh', ssh, `--server=${serverCommand}`, '--kill', 'nope']);
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.text).toMatch(/^tsmosh: on viassh: no session named or numbered "nope"/m);
    const killed = await oneShot(['viassh', ssh, `--server=${serverCommand}`, '--kill', 'via-openssh']);
    expect(killed.exitCode).toBe(0);
    expect(killed.text).toContain('tsmosh: session via-openssh on viassh ended.');
    const after = await oneShot(['viassh', ssh, `--server=${serverCommand}`, '--list', '--json']);
    expect(after.text).not.toContain('"via-openssh"');
  });

  it('reminds a plain run of a named session whose client died, and --kill of an unknown name fails in one line', async () => {
    const first = tsmosh(['testhost', `--server=${serverCommand}`, '--session', 'left-behind', '--', ...TICKER]);
    await first.waitForText(/tick \d+/);
    first.kill();
    await first.exited;
    const plain = tsmosh(['testhost', `--server=${serverCommand}`, '--', 'sh', '-c', 'echo plain-session; sleep 0.3']);
    expect((await plain.waitForExit()).exitCode).toBe(0);
    expect((await plain.logicalLines()).join('\n')).toContain('session "left-behind" on testhost lost its client');

    const unknown = await oneShot(['testhost', `--server=${serverCommand}`, '--kill', 'nope']);
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.text).toMatch(/^tsmosh: on testhost: no session named or numbered "nope"/m);
    // Killed from another machine (its own local list): this machine's next plain run finds it gone from the host's
    // list, says so once, and the run after that says nothing of it.
    expect((await oneShot(['testhost', `--server=${serverCommand}`, '--kill', 'left-behind'], { TSMOSH_STATE_DIR: join(home, 'other-laptop') })).exitCode).toBe(0);
    // The check's login runs beside the session (the end waits for it 2 s at most): a session of a few seconds lets
    // it answer on a loaded machine too.
    const told = await oneShot(['testhost', `--server=${serverCommand}`, '--', 'sh', '-c', 'echo plain-session; sleep 4']);
    expect(told.text).toContain('tsmosh: session "left-behind" on testhost, whose client was lost, no longer runs there; `tsmosh testhost --session left-behind` starts it again.');
    expect(told.text).not.toContain('lost its client (');
    const quiet = await oneShot(['testhost', `--server=${serverCommand}`, '--', 'sh', '-c', 'echo plain-session; sleep 0.3']);
    expect(quiet.exitCode).toBe(0);
    expect(quiet.text).not.toContain('left-behind');
  });
  it('takes back an unnamed session whose client was killed, by the ID the next plain run names; an ended ID is refused', async () => {
    const first = tsmosh(['testhost', `--server=${serverCommand}`, '--', ...TICKER]);
    await first.waitForText(/tick \d+/);
    first.type('unnamed-one\r');
    await first.waitForText('got:unnamed-one');
    const seen = lastTick(await first.screen());
    first.kill(); // SIGKILL: before this change, nothing could reach the program again
    await first.exited;

    const plain = tsmosh(['testhost', `--server=${serverCommand}`, '--', 'sh', '-c', 'echo plain-session; sleep 0.3']);
    expect((await plain.waitForExit()).exitCode).toBe(0);
    const notice = /tsmosh: an unnamed session on testhost lost its client \(tsmosh pid \d+ did not exit cleanly\); `tsmosh testhost --session ([0-9a-f]{16})` takes it back, `--kill \1` ends it\./.exec(
      (await plain.logicalLines()).join('\n'),
    );
    expect(notice).not.toBeNull();
    const id = notice![1]!;

    const back = tsmosh(['testhost', `--server=${serverCommand}`, '--session', id]);
    // The same program, still counting (its ticks have scrolled the earlier answer away by now).
    await back.waitFor('ticks beyond those the killed client saw', (lines) => lastTick(lines) > seen + 1);
    back.type('unnamed-two\r');
    await back.waitForText('got:unnamed-two');
    back.type('\x1e.'); // quitting now leaves it running: it is named by its ID from now on
    expect((await back.waitForExit()).exitCode).toBe(0);
    expect((await back.logicalLines()).join('\n')).toContain(`tsmosh: session ${id} goes on on testhost`);
    const killed = await oneShot(['testhost', `--server=${serverCommand}`, '--kill', id]);
    expect(killed.exitCode).toBe(0);

    const again = await oneShot(['testhost', `--server=${serverCommand}`, '--session', id]);
    expect(again.exitCode).not.toBe(0);
    expect(again.text).toContain(`no session with ID ${id} runs (it has ended)`);
  });

  it('notices that the daemon on the host is gone (a new SSH login finds no session) and says how to start it again', async () => {
    const attached = tsmosh(['testhost', `--server=${serverCommand}`, '--session', 'vanishing', '--', 'bash', '--norc', '--noprofile']);
    await attached.waitForText(/[$#] ?$/m); // the shell's prompt (root's '#' over SSH)
    const status = await host.workspace.daemonStatus();
    if (status === undefined) throw new Error('no daemon runs for the session');
    process.kill(status.pid, 'SIGKILL'); // as the OOM killer would
    expect((await attached.waitForExit(60_000)).exitCode).toBe(255);
    expect((await attached.logicalLines()).join('\n')).toContain(
      'tsmosh: session vanishing no longer runs on testhost: its tsmosh daemon stopped (the host restarted, or it was killed); `tsmosh testhost --session vanishing` starts it again where it was.',
    );
  }, 90_000);
});
