/**
 * Where tsmosh keeps what must outlive a process and a reboot, on either end: the daemon's session records, the
 * client's named sessions per host and the prompts it learned. One rule for all of them, so `TSMOSH_STATE_DIR` moves
 * everything together:
 * `$TSMOSH_STATE_DIR`; else, with a private `$TSMOSH_RUNTIME_DIR` (a second daemon, the tests' own), its `state`
 * subfolder, so two daemons of one user never restart each other's sessions; else `$XDG_STATE_HOME/tsmosh`, else
 * `HOME/.local/state/tsmosh` (the XDG default). Never `$XDG_RUNTIME_DIR`: it is emptied at every boot.
 *
 * Pure (a core package: no node:path): the caller passes the environment and the home folder (os.homedir()).
 */
export function stateDirectory(env: Readonly<Record<string, string | undefined>>, home: string): string {
  if (env.TSMOSH_STATE_DIR) return env.TSMOSH_STATE_DIR;
  if (env.TSMOSH_RUNTIME_DIR) return under(env.TSMOSH_RUNTIME_DIR, 'state');
  return under(env.XDG_STATE_HOME || under(home, '.local/state'), 'tsmosh');
}

/** `folder/name`, without doubling a slash `folder` ends with (POSIX paths, as the daemon's host and client use). */
function under(folder: string, name: string): string {
  return `${folder.replace(/\/+$/, '')}/${name}`;
}
