/**
 * The real Claude Code through tsmosh, as the project's users run it: `tmux new -A -s cc` running Claude Code in
 * the daemon's session, the real tsmosh-client drawing it in a tmux pane that stands in for the user's terminal,
 * over a lossy UDP link (netem proxy, seeded). Typing a prompt shows it; the streamed answer arrives whole.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startUdpProxy, type UdpProxy } from '@tsmosh/netem/udp';
import { CLIENT_BIN, SERVER_BIN, WAIT_MS, clientTestSuite } from './client-harness.js';
import { claudeCodeEnvironment, ensureClaudeCode, removeClaudeCodeDirectories, startMessagesStandIn, type MessagesStandIn } from './helpers/claude-code.js';

const run = promisify(execFile);
const suite = clientTestSuite();

describe('the real Claude Code through tsmosh', () => {
  let api: MessagesStandIn | undefined;
  let proxy: UdpProxy | undefined;
  const dirs: string[] = [];
  const sockets: string[] = [];
  afterAll(async () => {
    for (const socket of sockets) { try { execFileSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' }); } catch { /* gone */ } }
    await proxy?.close();
    await api?.close();
    await removeClaudeCodeDirectories(dirs);
  });

  it('types a prompt and shows the streamed answer over a lossy link, in tmux new -A -s cc', async () => {
    const bin = ensureClaudeCode();
    api = await startMessagesStandIn({ chunkDelayMs: 5 });
    const project = mkdtempSync(join(tmpdir(), 'tsmosh-cc-project-'));
    const { home, env } = claudeCodeEnvironment(api.baseUrl, project);
    const local = mkdtempSync(join(tmpdir(), 'tsmosh-cc-local-'));
    dirs.push(project, home, local);
    const remoteTmux = join(home, 'tmux.sock');
    const localTmux = join(local, 'tmux.sock');
    sockets.push(remoteTmux, localTmux);

    const workspace = suite.workspace();
    await workspace.ensureDaemon();
    const envWords = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const { stdout } = await run(process.execPath, [SERVER_BIN, 'new', '--', 'env', ...envWords, 'sh', '-c', `cd '${project}' && exec tmux -S '${remoteTmux}' new -A -s cc '${bin}'`], { env: workspace.env, timeout: WAIT_MS });
    const match = /^TSMOSH CONNECT (\d+) (\S+)\n$/.exec(stdout);
    if (match === null) throw new Error(`tsmosh-server new printed ${JSON.stringify(stdout)}`);
    proxy = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: Number(match[1]) }, profile: 'loss=10%,delay=50ms', seed: 12 });

    const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', localTmux, ...args], { encoding: 'utf8', env: workspace.env });
    const command = [process.execPath, CLIENT_BIN, proxy.address.host, String(proxy.address.port)].map((word) => `'${word}'`).join(' ');
    tmux('new-session', '-d', '-s', 'local', '-x', '100', '-y', '30', '-e', `TSMOSH_KEY=${match[2]}`, command);
    const pane = async (predicate: (text: string) => boolean, what: string): Promise<string> => {
      const deadline = Date.now() + 2 * WAIT_MS;
      let text = '';
      while (Date.now() < deadline) {
        text = tmux('capture-pane', '-p', '-t', 'local');
        if (predicate(text)) return text;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the local pane never showed ${what}; it shows:\n${text}`);
    };
    await pane((t) => /[>❯]\s/.test(t) && !/trust/i.test(t), "Claude Code's prompt box");
    tmux('send-keys', '-t', 'local', '-l', 'say hello');
    await pane((t) => t.includes('say hello'), 'the typed prompt');
    tmux('send-keys', '-t', 'local', 'Enter');
    const done = await pane((t) => t.includes('paragraph 12 of a long answer'), 'the end of the streamed answer');
    expect(done).toContain('paragraph 12 of a long answer');
    expect(api.requests.length).toBeGreaterThan(0);
  }, 180_000);
});
