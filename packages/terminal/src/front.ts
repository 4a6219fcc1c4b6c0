/**
 * What a command line needs before any session exists (`@tsmosh/terminal/front`): the terminal's answers, the locale
 * rule, the screen's limits and the prediction modes, without the screen code (diff, renderer, snapshot). The tsmosh
 * CLI and `tsmosh-server new` import these from here, not from the index, so that the CLI's bundle can start an SSH
 * login before the session code loads (protocol's front.ts says why).
 */
export { TERMINAL_VERSION_MAX, isCarriableTerminalVersion, formatTerminalAnswers, parseTerminalAnswers, type TerminalCapabilities } from './terminal-capabilities.js';
export { ctypeSetting, isUtf8LocaleName } from './locale-rule.js';
export { MAX_SCREEN_COLS, MAX_SCREEN_ROWS, isScreenSize } from './framebuffer.js';
export { PREDICTION_MODES, parsePredictionMode, type PredictionMode } from './prediction.js';
