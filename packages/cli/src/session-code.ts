/**
 * The session code (runTerminalClient: the session, the renderer, prediction, the transport; about 350 KB of the
 * CLI's bundle) is loaded on demand, started while the CLI waits on something else (an SSH login, the local daemon),
 * so that its load overlaps that wait instead of coming before it. The command line's own checks use the packages'
 * front modules, which load none of it (docs/benchmarks-journal.md, "`tsmosh host` over SSH as quick to start as mosh").
 */
export type SessionCode = typeof import('@tsmosh/client');

/** Starts loading the session code; the caller awaits the promise where it needs it, and a failure surfaces there. */
export function startLoadingSessionCode(): Promise<SessionCode> {
  const loading = import('@tsmosh/client');
  // Not an unhandled rejection while nobody awaits it yet (a login that fails first never does).
  loading.catch(() => {});
  return loading;
}
