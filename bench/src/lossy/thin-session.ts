/**
 * The thin-link flood's program (issue 18): tmux with two panes, as a user runs a long command beside a shell:
 * the top pane is where `seq 1 10000000` runs, the bottom one (THIN_INPUT_PANE_ROWS rows) a shell to type in while
 * it does. Run as the session's program: `node bench/dist/lossy/thin-session.js ROWS [SOCKET]` (the bottom pane's
 * height, and where tmux's socket goes, so that the harness can ask tmux what it threw away); thin-link.ts drives it.
 *
 * Per run: its own tmux socket and config file (status line off: its clock would change the screen on its own;
 * exit-unattached: killed outright, its server follows the client). When the tmux client ends, or this process is
 * hung up or terminated with the session, the tmux server and the folder go with it: nothing is left running.
 */
import { execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchTempDir } from '../run-folder.js';

const inputRows = Number(process.argv[2]);
if (!Number.isSafeInteger(inputRows) || inputRows < 2) {
  process.stderr.write(`thin-session: give the bottom pane's height in rows (2 or more), got ${String(process.argv[2])}\n`);
  process.exit(2);
}
const folder = benchTempDir('tsmosh-bench-thin-');
const socket = process.argv[3] ?? join(folder, 'tmux.sock');
const config = join(folder, 'tmux.conf');
writeFileSync(config, ['set -g status off', 'set -g exit-unattached on', 'set -g allow-rename off', 'set -g automatic-rename off', ''].join('\n'));
// tmux does not pass PS1 on to its panes' shells: set it again, so the prompt is '$ ' as in every other session.
const shell = "env 'PS1=$ ' bash --norc --noprofile";

const env: Record<string, string> = {};
for (const [name, value] of Object.entries(process.env)) if (value !== undefined && name !== 'TMUX') env[name] = value;

let cleaned = false;
function cleanUp(): void {
  if (cleaned) return;
  cleaned = true;
  try {
    execFileSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // the server is gone already
  }
  rmSync(folder, { recursive: true, force: true });
  rmSync(socket, { force: true });
}

// The top pane is created first and selected again at the end: the flood's command is typed there.
const client = spawn(
  'tmux',
  ['-S', socket, '-f', config, 'new-session', '-s', 'thin', shell, ';', 'split-window', '-v', '-l', String(inputRows), shell, ';', 'select-pane', '-t', '0'],
  { stdio: 'inherit', env },
);
for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    client.kill('SIGTERM');
    cleanUp();
    process.exit(0);
  });
}
client.on('exit', (code) => {
  cleanUp();
  process.exit(code ?? 0);
});
