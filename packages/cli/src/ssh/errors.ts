/** The SSH login's errors, in a module of their own so the prompter, the authentication and the bootstrap share them. */

export class BootstrapError extends Error {
  override readonly name: string = 'BootstrapError';
  constructor(
    message: string,
    readonly reason: 'auth' | 'host-key-changed' | 'host-key-revoked' | 'host-key-refused' | 'server-not-found' | 'server-failed' | 'network' | 'config',
  ) {
    super(message);
  }
}

/** A question that could not be asked because there is no terminal: an authentication method is skipped, not the login. */
export class PromptUnavailableError extends BootstrapError {
  override readonly name = 'PromptUnavailableError';
  constructor(message: string) {
    super(message, 'auth');
  }
}
