export { bootstrap, runServerCommand, BootstrapError, parseServerOutput, serverNotFoundMessage, shellQuote, type AddressFamily, type BootstrapOptions, type BootstrapResult, type Prompter } from './bootstrap.js';
export { resolveHost, parseDestination, SshConfigError, type ResolvedHost } from './config.js';
export { bootstrapWithSystemSsh, runServerCommandWithSystemSsh, splitCommandLine } from './system-ssh.js';
export { TtyPrompter } from './tty-prompter.js';
