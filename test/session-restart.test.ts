/**
 * A named session outlives its daemon (issue 14): the daemon is SIGKILLed, as a reboot or the OOM killer would end
 * it, and the next `tsmosh --local --session NAME` says what happened, shows the screen the session had, and starts
 * its command again in the folder its program was last in (the client that was attached notices the daemon is gone
 * by itself and says so); Claude Code (a stand-in `claude` on PATH) is started
 * with `--continue`. `tsmosh --local --kill` then removes what was kept.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionRecordStore, resolveStateDir } from '@tsmosh/server';
import { PtyProgram, TSMOSH_BIN, WAIT_MS, clientTestSuite, runBin } from './client-harness.js';

const suite = clientTestSuite();
const scratch = mkdtempSync(join(tmpdir(), 'tsmosh-restart-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tsmosh(args: string[], env: Record<string, string> = suite.workspace().env): PtyProgram {
  return suite.track(new PtyProgram({ args: [TSMOSH_BIN, ...args], env }));
}

/** Waits until the daemon's saved copy of `name` satisfies `test` (it saves every few seconds). */
async function waitForSave(env: Record<string, string>, name: string, what: string, test: (text: string, lastDirectory: string | undefined) => boolean): Promise<void> {
  const store = new SessionRecordStore(resolveStateDir(env));
  const deadline = Date.now() + WAIT_MS;
  let text = '';
  while (Date.now() < deadline) {
    const found = store.load(name);
    if (found !== undefined && 'loaded' in found) {
      const { record, screen } = found.loaded;
      text = screen?.framebuffer.lines.map((row) => row.cells.map((cell) => cell.text || ' ').join('').trimEnd()).join('\n') ?? '';
      if (test(text, record.lastDirectory)) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the daemon never saved ${what} for session ${name}; its last saved screen:\n${text}`);
}

async function killDaemon(env: Record<string, string>): Promise<number> {
  const status = await runBin([TSMOSH_BIN.replace(/cli\/bin\/tsmosh\.js$/, 'server/bin/tsmosh-server.js'), 'status'], env);
  const pid = (JSON.parse(status.stdout) as { pid: number }).pid;
  process.kill(pid, 'SIGKILL');
  return pid;
}

/**
 * `tsmosh args` as a script runs it: `input` piped in (then its end), standard output a pipe. A text client writes a
 * line once it can no longer change (it left the screen, or the client ends), so `end` stops it and returns all it wrote.
 */
function scripted(args: string[], env: Record<string, string>, input: string): { end(): Promise<string>; kill(): void } {
  const child = spawn(process.execPath, [TSMOSH_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(input);
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr.on('data', (data: Buffer) => (output += data.toString()));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return suite.track({
    async end(): Promise<string> {
      child.kill('SIGTERM');
      await closed;
      return output;
    },
    kill: () => child.kill('SIGKILL'),
  });
}

describe('a named session after its daemon was killed', () => {
  it('says so, shows the saved screen and starts its command again in the same folder', async () => {
    const env = suite.workspace().env;
    const project = join(scratch, 'project');
    mkdirSync(project);
    const first = tsmosh(['--local', '--session', 'work', '--', 'bash', '--norc', '--noprofile']);
    await first.waitForText('$');
    first.type(`cd ${project}; echo before-$((6*7))\r`);
    await first.waitForText('before-42');
    await waitForSave(env, 'work', 'the screen and folder', (text, dir) => text.includes('before-42') && dir === project);
    const pid = await killDaemon(env);
    // The client notices by itself (after 15 s of silence it asks the control socket) instead of waiting forever.
    expect((await first.waitForExit(60_000)).exitCode).toBe(255);
    expect((await first.logicalLines()).join('\n')).toContain(
      'tsmosh: session work no longer runs on this machine: its tsmosh daemon stopped (the host restarted, or it was killed); `tsmosh --local --session work` starts it again where it was.',
    );

    // Before anyone reattaches, --list shows what was lost and how to get it back (no daemon runs now).
    const listing = await runBin([TSMOSH_BIN, '--local', '--list'], env);
    expect(listing.code).toBe(0);
    expect(listing.stdout).toMatch(/^Not running, kept to start again/m);
    expect(listing.stdout).toMatch(new RegExp(`^  work  ended when its tsmosh daemon \\(pid ${pid}\\) stopped without ending it.*: bash --norc --noprofile$`, 'm'));

    const second = tsmosh(['--local', '--session', 'work', '--', 'bash', '--norc', '--noprofile']);
    await second.waitForText(/again in/);
    // Logical lines: the notice is longer than the screen is wide.
    const text = (await second.logicalLines()).join('\n');
    expect(text).toContain('before-42'); // the saved screen
    expect(text).toContain(`session "work" ended when its tsmosh daemon (pid ${pid}) stopped without ending it`);
    expect(text).toContain(`starting \`bash --norc --noprofile\` again in ${project}`);
    second.type('echo now-in-$(pwd)\r');
    await second.waitForText(`now-in-${project}`);

    // --kill is the user's own end: the record goes, and the next attach is a fresh session with no notice.
    expect((await runBin([TSMOSH_BIN, '--local', '--kill', 'work'], env)).code).toBe(0);
    await second.waitForExit();
    expect(existsSync(join(resolveStateDir(env), 'sessions', 'work.json'))).toBe(false);
  }, 120_000);

  it('starts Claude Code again with --continue', async () => {
    const env = suite.workspace().env;
    const bin = join(scratch, 'bin');
    const conversation = join(scratch, 'conversation');
    mkdirSync(bin);
    mkdirSync(conversation);
    // A stand-in for Claude Code: says how it was started, then stays in the foreground in its project folder.
    writeFileSync(join(bin, 'claude'), `#!/bin/sh\necho "claude-args:[$*]"\ncd ${conversation} && echo "claude-ready" && exec cat\n`);
    chmodSync(join(bin, 'claude'), 0o755);
    const withClaude = { ...env, PATH: `${bin}:${env.PATH}` };
    const first = tsmosh(['--local', '--session', 'cc', '--', 'claude'], withClaude);
    await first.waitForText('claude-ready');
    expect((await first.screenText())).toContain('claude-args:[]');
    await waitForSave(withClaude, 'cc', 'the folder', (text, dir) => text.includes('claude-ready') && dir === conversation);
    await killDaemon(withClaude);
    first.kill();

    const second = tsmosh(['--local', '--session', 'cc', '--', 'claude'], withClaude);
    await second.waitFor('claude started again', (lines) => lines.includes('claude-args:[--continue]') && lines.filter((l) => l === 'claude-ready').length === 2);
    expect((await second.logicalLines()).join('\n')).toContain(`starting \`claude --continue\` again in ${conversation}`);
    expect((await runBin([TSMOSH_BIN, '--local', '--kill', 'cc'], withClaude)).code).toBe(0);
    await second.waitForExit();

    // A lost session can be forgotten without starting it: after another daemon death, --kill removes its record.
    const third = tsmosh(['--local', '--session', 'forget-me', '--', 'bash', '--norc', '--noprofile']);
    await third.waitForText('$');
    await waitForSave(env, 'forget-me', 'the record', () => true);
    await killDaemon(env);
    third.kill();
    expect((await runBin([TSMOSH_BIN, '--local', '--list'], env)).stdout).toMatch(/^  forget-me  ended/m);
    expect((await runBin([TSMOSH_BIN, '--local', '--kill', 'forget-me'], env)).code).toBe(0);
    expect((await runBin([TSMOSH_BIN, '--local', '--list'], env)).stdout).not.toContain('forget-me');
  }, 120_000);

  it('starts its command again with the echo the attaching client asks for: off for a script\'s piped input, on for a terminal', async () => {
    // The program says whether its terminal echoes (stty's `echo` or `-echo`), then stays.
    const env = suite.workspace().env;
    const command = ['--local', '--session', 'echoes', '--', 'sh', '-c', 'echo "state:$(stty -a | tr " " "\\n" | grep -x -- "-*echo")"; exec sleep 600'];
    // Created by a script (text output, input a pipe: `new --no-echo`): no echo, as behind ssh.
    const script = scripted(command, env, 'input\n');
    await waitForSave(env, 'echoes', 'the screen', (text) => text.includes('state:'));
    expect(await script.end()).toContain('state:-echo\n');
    await killDaemon(env);

    // A terminal brings it back: what is typed shows, as on any terminal.
    const terminal = tsmosh(command);
    await terminal.waitForText('again in');
    await terminal.waitForLine('state:echo');
    await killDaemon(env);
    terminal.kill();

    // A script brings it back: its piped input is not echoed into its text, as when the session was first made.
    const again = scripted(command, env, 'input\n');
    await waitForSave(env, 'echoes', 'the third start\'s screen', (text) => /\.\]\n[^]*state:/.test(text));
    const text = await again.end();
    // After the restart's notice (the saved screen is above it), this start's line.
    const notice = text.lastIndexOf('again in');
    expect(notice).toBeGreaterThan(0);
    expect(text.slice(notice).split('\n').filter((line) => line.startsWith('state:'))).toEqual(['state:-echo']);
    expect((await runBin([TSMOSH_BIN, '--local', '--kill', 'echoes'], env)).code).toBe(0);
  }, 120_000);
});
