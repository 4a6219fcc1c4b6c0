export { ChannelEndpoint, type ChannelEndpointInit } from './channel-endpoint.js';
export { ClientForwarding, type ForwardingOptions } from './client-forwarding.js';
export { ServerForwarding, type ForwardingStats, type ServerForwardingInit } from './server-forwarding.js';
export { AgentSocket, AGENT_SOCKET_NAME } from './agent-socket.js';
export { DEFAULT_BIND_HOST, ForwardSpecError, formatForwardSpec, parseConfigForward, parseForwardSpec, type ForwardDirection, type ForwardSpec } from './forward-spec.js';
export { decodeForwardMessage, encodeForwardMessage, MAX_REMOTE_FORWARDS, type ForwardMessage } from './forward-messages.js';
export { FORWARD_CONNECT_TIMEOUT_MS } from './connect.js';
export { cachedLiteralLookup, ipLiteralLookup } from './ip-literal-lookup.js';
