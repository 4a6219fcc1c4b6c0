export * from './framebuffer.js';
export * from './char-width.js';
export * from './notifications.js';
export * from './prediction.js';
export { ScreenState } from './screen-state.js';
export { encodeScreenDiff, decodeScreenDiff, sessionEndingsEqual, SCREEN_DIFF_VERSION, type DecodedScreen, type SessionEnding } from './screen-diff.js';
export { InputStream, INPUT_DIFF_VERSION, type InputEvent } from './input-stream.js';
export { Renderer, displayedFramebuffer } from './renderer.js';
export { ScrollbackLog, SCROLLBACK_RETAINED_LINES, trimmedLogLine } from './scrollback-log.js';
