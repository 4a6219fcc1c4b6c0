// The mirror: an @xterm/headless terminal read into Framebuffers (docs/architecture.md, @tsmosh/server).
export { snapshotTerminal } from './snapshot.js';
export { trackTerminal, type TerminalTracker } from './terminal-tracker.js';
export { readXtermInternals, guardXtermDefects, type XtermInternals } from './xterm-internals.js';
export { HeadlessMirror, createHeadlessTerminal, type HeadlessMirrorInit, type MirrorStats, type RestoredScreen } from './headless-mirror.js';
export { Daemon, startDaemon, createSession, SERVER_VERSION, SESSION_NAME_PATTERN } from './daemon.js';
export type { DaemonInit, StartDaemonOptions, RunningDaemon, CreateSessionOptions, EmbeddedSession } from './daemon.js';
export { Session, ECHO_SETTLE_MS, NO_CLIENT_TIMEOUT_MS, NETWORK_TIMEOUT_ENV, PENDING_ATTACH_TIMEOUT_MS, ATTACHED_WITHIN_MS, signalNameOf } from './session.js';
export type { SessionInit, SessionPty, SessionEndReason } from './session.js';
export { UdpEndpoint, DEFAULT_PORT_RANGE } from './udp-endpoint.js';
export type { UdpEndpointStats } from './udp-endpoint.js';
export { requestControl, CONTROL_PROTOCOL_VERSION } from './control.js';
export type { NewSessionRequest, NewSessionResult, SessionInfo, DaemonStatus, EndpointInfo } from './control.js';
export { ServerError, UsageError } from './errors.js';
export { resolveRuntimeDir, controlSocketPath } from './runtime-dir.js';
export { PtyHost, ptyEnvironment, spawnSessionPty, type PtyExit, type PtyHostInit, type PtyHostStats, type PtySpawnOptions } from './pty-host.js';
export { DAEMON_NODE_OPTIONS } from './server-main.js';
export { SessionRecordStore, resolveStateDir, SESSION_SAVE_INTERVAL_MS } from './session-records.js';
export type { SessionRecord, LoadedSession } from './session-records.js';
