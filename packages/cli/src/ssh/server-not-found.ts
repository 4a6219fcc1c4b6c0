/**
 * The one line for an SSH command on the host that could not be run at all (exit status 127: the login's shell found
 * no such command), shared by the ssh2 and --ssh paths. What was missing depends on what tsmosh ran there: with its
 * own server bundle (neither --server= nor --no-install) a `sh -c` start script (install/host-scripts.ts), which
 * itself looks for tsmosh-server and node, so a 127 means the shell found no `sh`, or a tsmosh-server on the PATH
 * could not start; otherwise the server command itself (`tsmosh-server`, or --server='s).
 */

/** How tsmosh ran the server on the host (remote.ts hostOptions). */
interface ServerStart {
  /** --server=: the command, run as it is. */
  readonly serverCommand?: string;
  /** This client's server bundle, offered unless --server= or --no-install (or a checkout without its build). */
  readonly bundle?: unknown;
  /** --no-install was given. */
  readonly noInstall?: boolean;
}

/** Where the README says how to install by hand. */
const BY_HAND = 'README, "Install on a host by hand"';

/**
 * The line for `host`, whose shell said `shellSaid` (its standard error; empty when it went straight to the terminal,
 * as with --ssh's session start, and was shown above).
 */
export function serverNotFoundMessage(start: ServerStart, host: string, shellSaid: string): string {
  const said = shellSaid.split(/\r?\n/).find((line) => line.trim() !== '')?.trim();
  const quoted = said === undefined ? 'its message is above' : `it said: ${said}`;
  if (start.serverCommand === undefined && start.bundle !== undefined) {
    const path = 'the PATH your login shell gives SSH commands there (for bash, set early in ~/.bashrc; for zsh, in ~/.zshenv)';
    if (said !== undefined && namesSh(said)) {
      return `tsmosh: the SSH login on ${host} found no \`sh\` (${quoted}); tsmosh finds, installs and starts tsmosh-server there with a script for sh: put sh's folder (/bin) on ${path}, or start an installed tsmosh-server with --server=PATH, which needs no sh.`;
    }
    return `tsmosh: the command that starts tsmosh-server on ${host} was not found there (${quoted}); tsmosh runs a script for \`sh\`, which runs the tsmosh-server on the PATH or its own install with \`node\`: put what is missing on ${path}, or name an installed server with --server=PATH.`;
  }
  const name = start.serverCommand ?? 'tsmosh-server';
  const where = `'${name}' was not found on ${host} (${quoted})`;
  if (start.serverCommand !== undefined) {
    const drop = start.noInstall === true ? 'drop --server= and --no-install' : 'drop --server=';
    return `tsmosh: ${where}: check the path given with --server=, or ${drop} to let tsmosh install its own.`;
  }
  if (start.noInstall === true) {
    return `tsmosh: ${where}: install tsmosh there (${BY_HAND}), name it with --server=PATH, or drop --no-install to let tsmosh install its own.`;
  }
  // Neither option: this tsmosh has no bundle to install (a checkout whose server bundle was never built).
  return `tsmosh: ${where}, and this tsmosh has no server of its own to install (its server bundle is missing: \`npm run build\` in its checkout makes it): install tsmosh there (${BY_HAND}) or name it with --server=PATH.`;
}

/** Whether the shell's line is about a command named `sh` (bash's "sh: command not found", zsh's "command not found: sh"). */
function namesSh(line: string): boolean {
  return /(^|[^\w./-])sh([^\w./-]|$)/.test(line);
}
