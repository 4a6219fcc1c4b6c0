export * from './snapshot.js';
export * from './headless-mirror.js';
