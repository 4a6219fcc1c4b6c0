/**
 * `tsmosh --local --list` and `tsmosh --local --kill NAME`: this machine's daemon's sessions, through this
 * installation's own `tsmosh-server`, reported as the remote forms report a host's.
 */
import { spawn } from 'node:child_process';
import { EXIT_TSMOSH_FAILURE } from '@tsmosh/client/front';
import { LOCAL_PLACE, inClientTerms, reportKilled } from './remote-sessions.js';

/** ms: list and kill answer at once unless the machine is badly loaded. */
const LOCAL_SERVER_COMMAND_TIMEOUT_MS = 20_000;

/**
 * Runs `tsmosh-server <args>` and returns what it printed and its status (null: it did not run or finish within
 * `timeoutMs`).
 */
export function runLocalServerCommand(
  serverBin: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = LOCAL_SERVER_COMMAND_TIMEOUT_MS,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [serverBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: `cannot run ${serverBin}: ${error.message}`, code: null });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

/** `--local --list [--json]`: the sessions of this machine's daemon; none running is an empty list, not an error. */
export async function runLocalList(serverBin: string, json: boolean): Promise<number> {
  const result = await runLocalServerCommand(serverBin, ['list', ...(json ? ['--json'] : [])]);
  if (result.code === 0) {
    process.stdout.write(result.stdout);
    return 0;
  }
  if (/no daemon is running/.test(result.stderr)) {
    process.stdout.write(json ? '[]\n' : 'no sessions\n');
    return 0;
  }
  return failWith(result.stderr);
}

/** `--local --kill NAME`: ends one of this machine's sessions; its client is told, and so is the user, as for a host. */
export async function runLocalKill(serverBin: string, target: string): Promise<number> {
  const result = await runLocalServerCommand(serverBin, ['kill', target]);
  if (result.code === 0) {
    process.stdout.write(result.stdout);
    reportKilled(LOCAL_PLACE, target);
    return 0;
  }
  return failWith(result.stderr);
}

function failWith(stderr: string): number {
  const line = stderr.split('\n').find((text) => text.trim() !== '') ?? 'tsmosh-server failed without a message';
  process.stderr.write(`tsmosh: ${inClientTerms(line, LOCAL_PLACE)}\n`);
  return EXIT_TSMOSH_FAILURE;
}
