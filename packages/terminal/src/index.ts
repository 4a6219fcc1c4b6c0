export * from './framebuffer.js';
export * from './char-width.js';
export * from './prediction.js';
