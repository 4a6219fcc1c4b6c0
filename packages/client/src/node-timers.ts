/**
 * Node's timers as the ClientRuntime gives them, in a module of their own: the terminal probe runs before a session
 * and its runtime exist (the CLI, before a login), and importing client-runtime.ts would load the carrier and the
 * transport with it (front.ts says why that matters). An edge of the client's world as client-runtime.ts is
 * (test/lint.test.ts); NODE_CLIENT_RUNTIME takes its timers from here.
 */
import type { ClientRuntime } from './client-runtime.js';

export const NODE_TIMERS: Pick<ClientRuntime, 'setTimer' | 'clearTimer'> = {
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
