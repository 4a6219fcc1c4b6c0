export {
  connect,
  ClientSession,
  formatDuration,
  describeEnding,
  CLIENT_COLLECTION_INTERVAL_MS,
  DEFAULT_FIRST_CONTACT_TIMEOUT_MS,
  SERVER_SILENT_AFTER_MS,
  CARRIER_NOTICE_MS,
  type ConnectOptions,
  type ClientSessionEvents,
  type ExitReason,
  type SessionExit,
  type SessionStatus,
} from './session.js';
export { probeTerminal } from './terminal-probe.js';
export { remoteSize, sessionSizeArguments, ttyWindowSize } from './window-size.js';
export { OUTPUT_MODES, outputModeFor, textSessionArguments, type OutputMode, type OutputSetting } from './output-mode.js';
export { TextOutput, type TextSink } from './text-output.js';
// The CLI passes the probe's answers to `tsmosh-server new --terminal-answers` in this form.
export { formatTerminalAnswers, type TerminalCapabilities } from '@tsmosh/terminal';
export { runTerminalClient, predictionModeFromEnv, FRAME_BURST, MIN_FRAME_INTERVAL_MS, type TerminalClientOptions, type TerminalClientResult } from './frontend.js';
export { ClientUdpEndpoint, PORT_HOP_INTERVAL_MS, MAX_OLD_SOCKET_AGE_MS, MAX_SOCKETS_OPEN } from './udp-endpoint.js';
export { parseEscapeKey, escapeKeyForInput, escapeKeyName, EscapeKeyFilter, DEFAULT_ESCAPE_KEY, type EscapeKeySetting, type EscapeAction } from './escape-key.js';
export { statusMessage, withStatusLine, fitToWindow } from './overlay.js';
export { checkUtf8Locale, localeErrorMessage, type LocaleCheck } from './locale.js';
export { default as clientMain } from './client-main.js';
export { ClientStatsWriter, type ClientStatsFile, type KeyDrawCounts } from './stats-file.js';
export { EXIT_TSMOSH_FAILURE, EXIT_OK, exitStatusFor, exitStatusForSignal } from './exit-status.js';
export { DatagramCarrier, parseCarrierMode, parseTcpPort, carrierSettingsFromEnv, UDP_FIRST_REPLY_MS, UDP_STOPPED_AFTER_MS, UDP_PROBE_INTERVAL_MS, type CarrierMode, type CarrierKind } from './carrier.js';
export { PREDICTION_MODES, type PredictionMode } from '@tsmosh/terminal';
export { NODE_CLIENT_RUNTIME, type ClientRuntime, type ClientCarrier, type CarrierOpenOptions } from './client-runtime.js';
export { SessionWatch, SILENCE_BEFORE_CHECK_MS, CHECK_INTERVAL_MS, type SessionCheck } from './session-watch.js';
