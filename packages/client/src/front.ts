/**
 * What the tsmosh command needs before a session exists (`@tsmosh/client/front`): its options' parsing, the locale
 * check, the terminal probe and the exit statuses, without the session, the renderer or the transport. The CLI
 * imports these from here and the session code (runTerminalClient) from the index once a login is on its way, so the
 * two load side by side (protocol's front.ts says why).
 */
export { EXIT_TSMOSH_FAILURE } from './exit-status.js';
export { parseCarrierMode, parseTcpPort, type CarrierMode } from './carrier-mode.js';
export { checkUtf8Locale, localeErrorMessage } from './locale.js';
export { parseEscapeKey, escapeKeyForInput, type EscapeKeySetting } from './escape-key.js';
export { probeTerminal } from './terminal-probe.js';
export { predictionModeFromEnv } from './prediction-env.js';
export { sessionSizeArguments, ttyWindowSize } from './window-size.js';
export { OUTPUT_MODES, outputModeFor, textSessionArguments, type OutputMode, type OutputSetting } from './output-mode.js';
export { PREDICTION_MODES, formatTerminalAnswers, type PredictionMode, type TerminalCapabilities } from '@tsmosh/terminal/front';
