/**
 * The -L/-R/-A specs as a command line parses them (`@tsmosh/forward/front`), without the forwarding's channels:
 * the tsmosh CLI reads its options before the session code loads (protocol's front.ts says why).
 */
export { ForwardSpecError, parseConfigForward, parseForwardSpec, type ForwardSpec } from './forward-spec.js';
export type { ForwardingOptions } from './client-forwarding.js';
