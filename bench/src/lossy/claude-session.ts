/**
 * The claude trace's program: the real Claude Code (bench/src/claude-code.ts's pinned version) inside
 * `tmux new -A -s cc`, as the project's users run it, against the loopback Messages API stand-in, all started here
 * so the same command works wherever the session runs (a local pty for the reference run, the tsmosh daemon,
 * mosh-server, or an sshd in the benchmark's server namespace, whose loopback is its own).
 * Run as the session's program: `node bench/dist/lossy/claude-session.js`.
 *
 * Per run: its own tmux socket and config file (status line off: its clock would change the screen on its own), a
 * throwaway HOME and project folder, the stand-in's URL in Claude Code's environment. The stand-in streams every
 * answer at a fixed pace so it is still streaming while the trace types the next prompt. When the tmux
 * client ends (or this process is hung up or terminated with the session), the tmux server, the stand-in and the
 * folders go with it: a benchmark leaves nothing running.
 */
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeCodeEnvironment, ensureClaudeCode, longMarkdownAnswer, removeClaudeCodeDirectories, startMessagesStandIn } from '../claude-code.js';
import { benchTempDir } from '../run-folder.js';

/**
 * The answer and the stand-in's pace: six parts of the fixture's markdown (1.2 kB), 4 characters every 50 ms
 * (80 characters/s), so each answer streams for about 15 s: long enough for the trace to type its next prompt while
 * it streams, short enough that the trace's next Enter comes after it has ended.
 */
const ANSWER = longMarkdownAnswer(6);
const ANSWER_CHUNK_CHARS = 4;
const ANSWER_CHUNK_DELAY_MS = 50;

const bin = ensureClaudeCode();
const api = await startMessagesStandIn({ answer: ANSWER, chunkChars: ANSWER_CHUNK_CHARS, chunkDelayMs: ANSWER_CHUNK_DELAY_MS });
const project = benchTempDir('tsmosh-bench-cc-project-');
const { home, env } = claudeCodeEnvironment(api.baseUrl, project, benchTempDir('tsmosh-cc-home-'));
const socket = join(home, 'tmux.sock');
const config = join(home, 'tmux.conf');
// A user's tmux, minus the status line (its clock) and window renaming (the title Claude Code sets); focus events on,
// as Claude Code asks (else it shows a tip about them at a moment of its choosing). exit-unattached: should this
// process be killed outright (no chance to clean up), its tmux client goes with the pty and the server follows.
writeFileSync(config, ['set -g status off', 'set -g focus-events on', 'set -g allow-rename off', 'set -g automatic-rename off', 'set -g exit-unattached on', ''].join('\n'));

const tmuxEnv: Record<string, string> = {};
for (const [name, value] of Object.entries(process.env)) if (value !== undefined && name !== 'TMUX') tmuxEnv[name] = value;
Object.assign(tmuxEnv, env);

let cleaned = false;
async function cleanUp(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  try {
    execFileSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // the server is gone already
  }
  await api.close();
  await removeClaudeCodeDirectories([project, home]);
}

const client = spawn('tmux', ['-S', socket, '-f', config, 'new', '-A', '-s', 'cc', '-c', project, bin], { stdio: 'inherit', env: tmuxEnv, cwd: project });
for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    client.kill('SIGTERM');
    void cleanUp().then(() => process.exit(0));
  });
}
client.on('exit', (code) => {
  void cleanUp().then(() => process.exit(code ?? 0));
});
