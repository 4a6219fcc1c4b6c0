/**
 * What a command line needs before any session exists (`@tsmosh/protocol/front`): names, limits and the session key,
 * without the transport, the codecs or the cipher. The tsmosh CLI imports these from here, not from the package's
 * index, so that its bundle can start an SSH login before the session code is loaded (esbuild's code splitting puts
 * every module an imported index names in the chunk the importer loads; docs/benchmarks-journal.md, "`tsmosh host` over SSH
 * as quick to start as mosh").
 */
export { PROTOCOL_VERSION, PROTOCOL_MISMATCH_EXIT_STATUS, REQUIRE_PROTOCOL_ENV } from './protocol-version.js';
export { SESSION_NAME_PATTERN } from './session-name.js';
export { adoptMoshEnvironment } from './mosh-environment.js';
export { terminalIdentityAssignments, TERMINAL_IDENTITY_VALUE_MAX, TERMINAL_IDENTITY_VARIABLES } from './terminal-identity.js';
export { stateDirectory } from './state-dir.js';
export { isPortNumber, MAX_PORT_NUMBER } from './types.js';
export { SessionKey } from './key.js';
