/**
 * The real Claude Code (pinned, cached by test/helpers/claude-code.ts) against the loopback Messages API
 * stand-in: first headless (-p), then interactive in `tmux new -A -s cc` with onboarding and trust pre-accepted.
 * .ci/run installs it; when it is missing the suite fails here loudly rather than skipping.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeCodeEnvironment, ensureClaudeCode, removeClaudeCodeDirectories, startMessagesStandIn, type MessagesStandIn } from './helpers/claude-code.js';

const run = promisify(execFile);

describe('the real Claude Code against the Messages API stand-in', () => {
  let bin = '';
  let api: MessagesStandIn;
  const cleanup: string[] = [];
  beforeAll(async () => {
    bin = ensureClaudeCode();
    api = await startMessagesStandIn({ chunkDelayMs: 5 });
  }, 600_000);
  afterAll(async () => {
    await api?.close();
    await removeClaudeCodeDirectories(cleanup);
  });

  it('prints the streamed answer in print mode', async () => {
    const project = mkdtempSync(join(tmpdir(), 'tsmosh-cc-project-'));
    const { home, env } = claudeCodeEnvironment(api.baseUrl, project);
    cleanup.push(project, home);
    const { stdout } = await run(bin, ['-p', 'say hello'], { cwd: project, env: { ...process.env, ...env }, timeout: 60_000 });
    expect(stdout).toContain('Streaming over a lossy link');
    expect(stdout).toContain('paragraph 12 of a long answer');
    expect(api.requests.length).toBeGreaterThan(0);
  }, 90_000);

  it('runs interactively in tmux with its prompt box and streams an answer', async () => {
    const project = mkdtempSync(join(tmpdir(), 'tsmosh-cc-project-'));
    const { home, env } = claudeCodeEnvironment(api.baseUrl, project);
    const socket = join(home, 'tmux.sock');
    cleanup.push(project, home);
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
    tmux('new', '-d', '-A', '-s', 'cc', '-x', '100', '-y', '30', '-c', project, ...envArgs, bin);
    try {
      const pane = async (predicate: (text: string) => boolean, what: string): Promise<string> => {
        for (let i = 0; i < 300; i++) {
          const text = tmux('capture-pane', '-p', '-t', 'cc');
          if (predicate(text)) return text;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`Claude Code in tmux never showed ${what}; screen:\n${tmux('capture-pane', '-p', '-t', 'cc')}`);
      };
      await pane((t) => /[>❯]\s/.test(t) && !/trust/i.test(t), 'its prompt box');
      tmux('send-keys', '-t', 'cc', '-l', 'say hello');
      await pane((t) => t.includes('say hello'), 'the typed prompt');
      tmux('send-keys', '-t', 'cc', 'Enter');
      await pane((t) => t.includes('paragraph 12 of a long answer') || t.includes('Part 12'), 'the end of the streamed answer');
    } finally {
      try { tmux('kill-server'); } catch { /* already gone */ }
    }
  }, 120_000);
});
