export * from './framebuffer.js';
export {
  MAX_LINK_ID_BYTES,
  MAX_LINK_URI_BYTES,
  MAX_SCREEN_LINKS,
  capScreenLinks,
  hyperlink,
  linksEqual,
  screenLinkTable,
  type Hyperlink,
} from './hyperlinks.js';
export * from './char-width.js';
export * from './notifications.js';
export * from './prediction.js';
export { ScreenState, STATE_ZERO_SIZE } from './screen-state.js';
export { encodeScreenDiff, decodeScreenDiff, sessionEndingsEqual, answeredCursorsEqual, SCREEN_DIFF_VERSION, type AnsweredCursor, type DecodedScreen, type SessionEnding } from './screen-diff.js';
export { InputStream, INPUT_DIFF_VERSION, type InputEvent } from './input-stream.js';
export { endsInsideSequence, isLoneEscape, isMouseReports, isPlainText, keyBoundaryMatters, MAX_KEY_EVENT_BYTES } from './key-boundary.js';
export { TERMINAL_VERSION_MAX, isCarriableTerminalVersion, formatTerminalAnswers, parseTerminalAnswers, type TerminalCapabilities } from './terminal-capabilities.js';
export { Renderer, displayedFramebuffer } from './renderer.js';
export { drawGuessChange, type DrawnGuesses } from './keystroke-draw.js';
export { warmKeyDraw } from './key-draw-warmup.js';
export { ScrollbackLog, SCROLLBACK_RETAINED_LINES, trimmedLogLine, plainLogLine, PlainLogLine, type LogAppend } from './scrollback-log.js';
export { ScrollbackWriter, paintWithHistory } from './scrollback-writer.js';
export { CTYPE_PRECEDENCE, ctypeSetting, isUtf8LocaleName } from './locale-rule.js';
export { replayRows } from './row-replay.js';
export { MAX_CELL_TEXT_UNITS } from './cell-sanitizer.js';
export { encodeSavedScreen, decodeSavedScreen, SAVED_SCREEN_MAX_BYTES } from './saved-screen.js';
export { IND } from './cursor-moves.js';
export { PlainTextWriter, type PlainText } from './plain-text.js';
