import { describe, expect, it } from 'vitest';
import { serverNotFoundMessage } from './server-not-found.js';

const bundle = { installId: 'x' };

describe('serverNotFoundMessage', () => {
  it('names a missing `sh` when tsmosh ran its own start script, in any shell\'s words, and says what to do', () => {
    for (const said of ['bash: line 1: sh: command not found', 'zsh:1: command not found: sh', 'fish: Unknown command: sh', 'sh: Command not found.']) {
      const message = serverNotFoundMessage({ bundle }, 'bare', `${said}\n`);
      expect(message).toBe(
        `tsmosh: the SSH login on bare found no \`sh\` (it said: ${said}); tsmosh finds, installs and starts tsmosh-server there with a script for sh: put sh's folder (/bin) on the PATH your login shell gives SSH commands there (for bash, set early in ~/.bashrc; for zsh, in ~/.zshenv), or start an installed tsmosh-server with --server=PATH, which needs no sh.`,
      );
      // Neither option was given: none is named as one to drop.
      expect(message).not.toMatch(/--no-install|drop/);
    }
  });

  it('does not blame `sh` for another missing command of the start script, nor when the shell\'s words went to the terminal', () => {
    const other = serverNotFoundMessage({ bundle }, 'bare', "/usr/bin/env: 'node': No such file or directory\n");
    expect(other).toMatch(/^tsmosh: the command that starts tsmosh-server on bare was not found there \(it said: \/usr\/bin\/env: 'node': No such file or directory\); tsmosh runs a script for `sh`/);
    // "bash" and "tsmosh-server" contain "sh" but are not it.
    expect(serverNotFoundMessage({ bundle }, 'bare', 'bash: tsmosh-server: command not found')).toMatch(/^tsmosh: the command that starts/);
    expect(serverNotFoundMessage({ bundle }, 'bare', '')).toMatch(/^tsmosh: the command that starts tsmosh-server on bare was not found there \(its message is above\)/);
  });

  it('names only the options that were given when the server command itself was not found', () => {
    expect(serverNotFoundMessage({ serverCommand: '/opt/tsmosh-server' }, 'h', 'bash: /opt/tsmosh-server: No such file or directory')).toBe(
      "tsmosh: '/opt/tsmosh-server' was not found on h (it said: bash: /opt/tsmosh-server: No such file or directory): check the path given with --server=, or drop --server= to let tsmosh install its own.",
    );
    expect(serverNotFoundMessage({ serverCommand: 'ts', noInstall: true }, 'h', '')).toMatch(/or drop --server= and --no-install to let tsmosh install its own\.$/);
    expect(serverNotFoundMessage({ noInstall: true }, 'h', 'bash: tsmosh-server: command not found')).toBe(
      `tsmosh: 'tsmosh-server' was not found on h (it said: bash: tsmosh-server: command not found): install tsmosh there (README, "Install on a host by hand"), name it with --server=PATH, or drop --no-install to let tsmosh install its own.`,
    );
    // Neither option, and no bundle to install: this tsmosh's checkout was never built.
    const unbuilt = serverNotFoundMessage({}, 'h', '');
    expect(unbuilt).toMatch(/has no server of its own to install \(its server bundle is missing: `npm run build` in its checkout makes it\)/);
    expect(unbuilt).not.toMatch(/--no-install|drop/);
  });
});
