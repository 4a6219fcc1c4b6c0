export * from './framebuffer.js';
export * from './char-width.js';
export * from './prediction.js';
export { ScreenState } from './screen-state.js';
export { encodeScreenDiff, decodeScreenDiff, SCREEN_DIFF_VERSION, type DecodedScreen } from './screen-diff.js';
export { InputStream, INPUT_DIFF_VERSION, type InputEvent } from './input-stream.js';
export { Renderer } from './renderer.js';
