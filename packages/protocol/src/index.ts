export type { SyncState } from './sync-state.js';
export * from './types.js';
