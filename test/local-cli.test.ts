import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@tsmosh/protocol';
import { LOCAL_PLACE, ORPHAN_REMINDER_INTERVAL_MS } from '../packages/cli/src/remote-sessions.js';
import { SessionState, resolveStateDir } from '../packages/cli/src/session-state.js';
import { PtyProgram, READY, ROOT, TSMOSH_BIN, catWhenReady, clientTestSuite, runBin, WAIT_MS } from './client-harness.js';
import { eventually, freePort, sha256Line, startHashSink, streamThrough } from './helpers/forwarding.js';

/** `tsmosh --local`: this repository's server and client on this machine over loopback UDP, as a user runs it. */

const suite = clientTestSuite();

function tsmosh(args: string[]): PtyProgram {
  return suite.track(new PtyProgram({ args: [TSMOSH_BIN, ...args], env: suite.workspace().env }));
}

describe('tsmosh --local', () => {
  it('runs a command in a local session and exits with it', async () => {
    const t = tsmosh(['--local', '--', 'bash', '--norc', '--noprofile']);
    await t.waitForText('$');
    t.type('echo local-$((20+3))\r');
    await t.waitForText('local-23');
    t.type('exit\r');
    expect((await t.waitForExit()).exitCode).toBe(0);
    // As ssh: nothing said when the command exits; the status says how.
    expect(await t.screenText()).not.toContain('tsmosh:');
  });

  it('forwards a port with -L and an agent socket with -A on this machine too', async () => {
    const sink = await startHashSink();
    suite.track({ kill: () => sink.server.close() });
    const port = await freePort();
    // No agent here (SSH_AUTH_SOCK unset): -A says so in one line, and the session still gets its socket.
    const t = suite.track(
      new PtyProgram({
        args: [TSMOSH_BIN, '--local', '-A', '-L', `${port}:127.0.0.1:${sink.port}`, '--', 'bash', '--norc', '--noprofile'],
        env: { ...suite.workspace().env, SSH_AUTH_SOCK: '' },
      }),
    );
    await t.waitForText('SSH_AUTH_SOCK is not set here');
    await t.waitForText('$');
    // The path's first character and its last part only: the whole of it may be longer than the screen is wide.
    t.type('echo "agent=[${SSH_AUTH_SOCK:0:1}...${SSH_AUTH_SOCK##*/}]"\r');
    await t.waitForText('agent=[/...agent.sock]');
    const payload = Buffer.from('local forward '.repeat(5000));
    expect(await eventually(() => streamThrough(port, payload))).toBe(sha256Line(payload));
    t.type('exit\r');
    expect((await t.waitForExit()).exitCode).toBe(0);
  });

  it("exits with the remote command's status, and 128 + the signal's number when a signal ended it", async () => {
    const exited = tsmosh(['--local', '--', 'sh', '-c', 'exit 3']);
    expect((await exited.waitForExit()).exitCode).toBe(3);
    const interrupted = tsmosh(['--local', '--', 'sh', '-c', 'kill -INT $$']);
    expect((await interrupted.waitForExit()).exitCode).toBe(130);
  });

  it("shows a quick command's output and status in a window that is not 80x24", async () => {
    // The command ends before the client's first datagram can tell the session its window; the session must have
    // started at that size, or its output was formatted for, and its last screen held at, 80x24 (the final screen
    // and the exit status were lost: status 0 and an empty screen in any other window).
    const quick = suite.track(
      new PtyProgram({
        args: [TSMOSH_BIN, '--local', '--', 'sh', '-c', 'echo "quick-$((40+2)) $(tput cols)x$(tput lines)"; exit 3'],
        env: suite.workspace().env,
        cols: 100,
        rows: 30,
      }),
    );
    expect((await quick.waitForExit()).exitCode).toBe(3);
    expect(await quick.screenText()).toContain('quick-42 100x30');
  });

  it('keeps a named local session for the next --local --session, lists it, and ends it with --kill', async () => {
    const env = suite.workspace().env;
    const first = tsmosh(['--local', '--session', 'loc1', '--', 'bash', '--norc', '--noprofile']);
    await first.waitForText('$');
    first.type('echo kept-$((40+2))\r');
    await first.waitForText('kept-42');
    first.type('\x1e.');
    expect((await first.waitForExit()).exitCode).toBe(0);
    expect((await first.logicalLines()).join('\n')).toContain('tsmosh: session loc1 goes on on this machine: `tsmosh --local --session loc1` returns to it');
    const listing = await runBin([TSMOSH_BIN, '--local', '--list'], env);
    expect(listing.code).toBe(0);
    expect(listing.stdout).toMatch(/^loc1\s/m);

    // The same command again attaches: the shell and its screen are the ones left behind.
    const second = tsmosh(['--local', '--session', 'loc1', '--', 'bash', '--norc', '--noprofile']);
    await second.waitForText('kept-42');
    second.type('echo again-$((1+1))\r');
    await second.waitForText('again-2');
    const killed = await runBin([TSMOSH_BIN, '--local', '--kill', 'loc1'], env);
    expect(killed.code).toBe(0);
    expect(killed.stderr).toBe('tsmosh: session loc1 on this machine ended.\n'); // as a host's --kill says
    expect((await second.waitForExit()).exitCode).toBe(255);
    expect((await runBin([TSMOSH_BIN, '--local', '--list', '--json'], env)).stdout).not.toContain('loc1');
  });

  it('reminds the next plain --local run of an unnamed session whose client died, which --session ID takes back', async () => {
    const env = suite.workspace().env;
    const first = tsmosh(['--local', '--', 'bash', '--norc', '--noprofile']);
    await first.waitForText('$');
    first.type('echo orphan-$((30+3))\r');
    await first.waitForText('orphan-33');
    first.kill(); // SIGKILL: the client dies without a word, the session goes on in the daemon
    await first.exited;

    const plain = tsmosh(['--local', '--', 'sh', '-c', 'echo plain-local; sleep 0.3']);
    expect((await plain.waitForExit()).exitCode).toBe(0);
    const notice = /tsmosh: an unnamed session on this machine lost its client \(tsmosh pid \d+ did not exit cleanly\); `tsmosh --local --session ([0-9a-f]{16})` takes it back, `--kill \1` ends it\./.exec(
      (await plain.logicalLines()).join('\n'),
    );
    expect(notice).not.toBeNull();
    const id = notice![1]!;

    const back = tsmosh(['--local', '--session', id]);
    await back.waitForText('orphan-33');
    back.type('exit\r');
    expect((await back.waitForExit()).exitCode).toBe(0);
    // Ended: the next plain run finds it gone from the daemon's list and says nothing of it.
    const after = tsmosh(['--local', '--', 'sh', '-c', 'echo plain-local; sleep 0.3']);
    expect((await after.waitForExit()).exitCode).toBe(0);
    expect((await after.logicalLines()).join('\n')).not.toContain(id);
    expect((await runBin([TSMOSH_BIN, '--local', '--list', '--json'], env)).stdout).not.toContain(id);
  });

  it('reminds the next plain --local run of a named session whose client died, as for a host', async () => {
    const env = suite.workspace().env;
    const first = tsmosh(['--local', '--session', 'loc2', '--', 'bash', '--norc', '--noprofile']);
    await first.waitForText('$');
    first.type('echo named-orphan-$((30+4))\r');
    await first.waitForText('named-orphan-34');
    first.kill(); // SIGKILL: no word from the client, the named session goes on in the daemon
    await first.exited;

    const plain = tsmosh(['--local', '--', 'sh', '-c', 'echo plain-local; sleep 0.3']);
    expect((await plain.waitForExit()).exitCode).toBe(0);
    const reminder = /tsmosh: session "loc2" on this machine lost its client \(tsmosh pid \d+ did not exit cleanly\); `tsmosh --local --session loc2` takes it back\./;
    expect((await plain.logicalLines()).join('\n')).toMatch(reminder);
    // Once: the next plain run the same day says nothing of it (every run repeated it before).
    const quiet = tsmosh(['--local', '--', 'sh', '-c', 'echo plain-local; sleep 0.3']);
    expect((await quiet.waitForExit()).exitCode).toBe(0);
    expect((await quiet.logicalLines()).join('\n')).not.toContain('loc2');
    // A day after that reminder (its time in the local list, moved back), the next plain run reminds again.
    new SessionState(resolveStateDir(env)).markReported(LOCAL_PLACE.key, ['loc2'], new Date(Date.now() - ORPHAN_REMINDER_INTERVAL_MS));
    const nextDay = tsmosh(['--local', '--', 'sh', '-c', 'echo plain-local; sleep 0.3']);
    expect((await nextDay.waitForExit()).exitCode).toBe(0);
    expect((await nextDay.logicalLines()).join('\n')).toMatch(reminder);
    const killed = await runBin([TSMOSH_BIN, '--local', '--kill', 'loc2'], env);
    expect(killed.code).toBe(0);
    // Ended with --kill: forgotten, no reminder afterwards.
    const after = tsmosh(['--local', '--', 'sh', '-c', 'echo plain-local; sleep 0.3']);
    expect((await after.waitForExit()).exitCode).toBe(0);
    expect((await after.logicalLines()).join('\n')).not.toContain('loc2');
  });

  it('starts the command in the folder tsmosh --local runs in, as a local terminal would', async () => {
    // Before, the daemon started it in the home directory, as over SSH: `tsmosh --local -- vim notes.txt` in a
    // project edited ~/notes.txt.
    const project = join(suite.workspace().runtimeDir, 'project with a space');
    mkdirSync(project);
    const run = await runBin([TSMOSH_BIN, '--local', '--', 'pwd'], suite.workspace().env, WAIT_MS, undefined, { cwd: project });
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(project);
  });

  it('runs a command from a script, input and output not a terminal: the output comes, the input\'s end ends nothing', async () => {
    // stdin /dev/null (ended at once), stdout a pipe: the command outlives the input's end and its output arrives.
    const scripted = await runBin([TSMOSH_BIN, '--local', '--', 'sh', '-c', 'sleep 0.5; echo "scripted-$((40+2))"; exit 4'], suite.workspace().env);
    expect(scripted.code).toBe(4);
    expect(scripted.stdout).toContain('scripted-42');
  });

  it("tells the command where a script's piped input ends, as ssh does: `printf … | tsmosh --local -- wc -l` ends", async () => {
    // The command reads a pty: its input ends only when the end-of-file key comes (input-end.ts). Before, wc waited
    // for ever and the run hit the timeout. The second input ends in a partial line, which takes two.
    const counted = await runBin([TSMOSH_BIN, '--local', '--', 'wc', '-l'], suite.workspace().env, WAIT_MS, 'one\ntwo\nthree\n');
    expect(counted.code).toBe(0);
    expect(counted.stdout.trimEnd().split('\n').at(-1)!.trim()).toBe('3');
    const partial = await runBin([TSMOSH_BIN, '--local', '--', 'sh', '-c', 'cat > /dev/null; echo "ended-$((40+2))"'], suite.workspace().env, WAIT_MS, 'no line break');
    expect(partial.code).toBe(0);
    expect(partial.stdout).toContain('ended-42');
    // A script's data is not the user's keys: Ctrl-^ . in it reaches the command instead of quitting the session.
    const escaped = await runBin([TSMOSH_BIN, '--local', '--', 'od', '-An', '-tx1'], suite.workspace().env, WAIT_MS, 'x\x1e.y\n');
    expect(escaped.code).toBe(0);
    expect(escaped.stdout).toMatch(/78 1e 2e 79 0a/);
  });

  it('runs the session through the lossy link with --link', async () => {
    const t = tsmosh(['--local', '--link', 'delay=20ms,loss=10%', '--predict=never', '--', ...catWhenReady()]);
    await t.waitForText(READY);
    t.type('over a lossy link\r');
    await t.waitFor('echo and cat output', (lines) => lines.filter((l) => l === 'over a lossy link').length === 2);
    t.type('\x1e.');
    expect((await t.waitForExit()).exitCode).toBe(0);
  });

  it('goes on over TCP when the link drops every UDP datagram, and --transport=tcp never needs UDP', async () => {
    // --link's loss is the datagrams'; TCP crosses only the link's delay, rate and blackouts (netem tcp-proxy.ts), so
    // loss=100% is a firewall that blocks UDP.
    const auto = tsmosh(['--local', '--link', 'loss=100%', '--', 'bash', '--norc', '--noprofile']);
    await auto.waitForText('UDP is blocked; the session goes on over TCP port');
    await auto.waitForText('$');
    auto.type('echo local-tcp-$((20+1))\r');
    await auto.waitForText('local-tcp-21');
    auto.type('exit\r');
    expect((await auto.waitForExit()).exitCode).toBe(0);
    const forced = tsmosh(['--local', '--transport=tcp', '--link', 'loss=100%', '--', 'bash', '--norc', '--noprofile']);
    await forced.waitForText('$');
    forced.type('exit 4\r');
    const { exitCode } = await forced.waitForExit();
    expect({ exitCode, screen: await forced.screenText() }).toMatchObject({ exitCode: 4 });
  });

  it("takes TCP through --link's blackouts too: the outage asked for is not ended by the move to TCP", async () => {
    // TCP only, the link dark for its first 3 s: the program's first words cannot arrive before the link is back.
    const startedAt = Date.now();
    const t = tsmosh(['--local', '--transport=tcp', '--link', 'blackout=3s@0s', '--', 'sh', '-c', 'echo through-the-outage; sleep 1']);
    await t.waitForText('through-the-outage');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(3000); // a lower bound: a loaded machine is only ever later
    expect((await t.waitForExit()).exitCode).toBe(0);
  });

  it('answers --help, --version and mistakes with one line', async () => {
    const env = suite.workspace().env;
    const help = await runBin([TSMOSH_BIN, '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: tsmosh \[options\] \[user@\]host[\s\S]*tsmosh --local/);
    const version = await runBin([TSMOSH_BIN, '--version'], env);
    expect(version).toMatchObject({ code: 0, stdout: `tsmosh ${JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')).version} (protocol ${PROTOCOL_VERSION})\n` });

    const mistakes: Array<[string[], RegExp, number]> = [
      [['--bogus'], /^tsmosh: unknown option --bogus \(try `tsmosh --help`\)$/, 255],
      [['--local', '--predict=sometimes'], /^tsmosh: --predict must be one of adaptive, always, never, experimental/, 255],
      [['--local', '--link', 'loss=lots'], /^tsmosh: bad link spec field "loss=lots"/, 255],
      [[], /^tsmosh: nothing to do: give a host, or --local/, 255],
      [['--local', '--transport=quic'], /^tsmosh: --transport must be udp, tcp or auto, got "quic"/, 255],
      [['host', '--tcp-port=0'], /^tsmosh: --tcp-port must be a TCP port number 1-65535, got "0"/, 255],
      [['host', '--list', '--kill', 'x'], /^tsmosh: --session, --list and --kill go one at a time/, 255],
    ];
    for (const [args, pattern, code] of mistakes) {
      const result = await runBin([TSMOSH_BIN, ...args], env);
      expect({ args, stderr: result.stderr.trimEnd() }).toEqual({ args, stderr: expect.stringMatching(pattern) });
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.code).toBe(code);
    }
    const locale = await runBin([TSMOSH_BIN, '--local'], { ...env, LANG: 'C' });
    expect(locale.code).toBe(255);
    expect(locale.stderr.trimEnd()).toMatch(/^tsmosh: needs a UTF-8 locale, but LANG=C is not one/);
    // A UTF-8 name this machine has not installed: the daemon's check (tsmosh --local leaves it to the daemon, which
    // reads `locale -a` once) refuses in one line, and the CLI fails as it does for its own checks.
    const withoutLc = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('LC_')));
    const missing = await runBin([TSMOSH_BIN, '--local', '--', 'true'], { ...withoutLc, LANG: 'xx_YY.UTF-8' });
    expect(missing.code).toBe(255);
    expect(missing.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^tsmosh-server: needs a UTF-8 locale, but the environment has xx_YY\.UTF-8 \(see `locale -a` for the installed ones\)/)]);
  });
});
