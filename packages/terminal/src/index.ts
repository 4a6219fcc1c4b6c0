export * from './framebuffer.js';
