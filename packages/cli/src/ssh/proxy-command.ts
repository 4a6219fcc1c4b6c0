/**
 * ProxyCommand: the SSH transport is a program's stdin and stdout (a bastion's `ssh -W %h:%p bastion`, `nc`, a
 * corporate relay), as OpenSSH runs it: through the user's shell as `exec <command>`, its stderr shown to the user.
 */
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

/** ms: how long a proxy that ignores its closed stdin may linger after the login is over before it is killed. */
const PROXY_EXIT_GRACE_MS = 2000;

/**
 * Starts `command` (tokens already expanded) and returns a duplex stream over its stdin and stdout for ssh2's `sock`.
 * The stream fails with one line naming the host when the proxy cannot start or exits before the stream ends; it
 * kills the proxy if it outlives the stream.
 */
export function startProxyCommand(command: string, alias: string, env: NodeJS.ProcessEnv = process.env): Duplex {
  const shell = env.SHELL !== undefined && env.SHELL !== '' ? env.SHELL : '/bin/sh';
  // Its stderr is relayed rather than inherited: a proxy holding our terminal as a file descriptor may restore the
  // terminal modes it saw at its start when it exits (Node programs do), which would take the session's raw mode away
  // after the login. A proxy that must prompt opens /dev/tty itself, as ssh does.
  const child = spawn(shell, ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'], env });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  const fail = (detail: string): void => {
    stream.destroy(new Error(`tsmosh: ProxyCommand for ${alias} (${command}) ${detail}; check it by running it yourself`));
  };
  child.once('error', (error) => fail(`could not start: ${error.message}`));
  child.once('exit', (code, signal) => {
    clearTimeout(killTimer);
    if (!stream.destroyed && !stream.writableEnded) fail(signal !== null ? `was killed by ${signal}` : `exited with status ${code}`);
  });
  // ssh2 writes on a stream whose proxy may already be gone: such errors surface through 'exit' above instead.
  child.stdin.on('error', () => {});
  let killTimer: NodeJS.Timeout | undefined;
  stream.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) {
      killTimer = setTimeout(() => child.kill('SIGTERM'), PROXY_EXIT_GRACE_MS);
      killTimer.unref();
    }
  });
  return stream;
}
