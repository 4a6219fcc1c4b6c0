export type { SyncState } from './sync-state.js';
export * from './types.js';
export { KeyFormatError, DecodeError } from './errors.js';
export {
  WIRE_VERSION,
  SESSION_ID_BYTES,
  SESSION_SECRET_BYTES,
  SESSION_KEY_PRINTABLE_LENGTH,
  HEADER_BYTES,
  TAG_BYTES,
  DATAGRAM_OVERHEAD_BYTES,
  DEFAULT_IPV4_MTU,
  DEFAULT_IPV6_MTU,
  MIN_MTU,
  MAX_DATAGRAM_BYTES,
  MAX_INSTRUCTION_BYTES,
} from './constants.js';
export { SessionKey, peekSessionId, type Direction } from './key.js';
export { sealDatagram, openDatagram, encodeHeader, decodeHeader, type DatagramHeader } from './aead.js';
export { ReplayWindow, type ReplayVerdict } from './replay-window.js';
export { RttEstimator, MIN_RTO_MS, MAX_RTO_MS, DEFAULT_INITIAL_RTT_MS, MAX_RTT_SAMPLE_MS } from './rtt.js';
export { encodeInstruction, decodeInstruction } from './instruction-codec.js';
export { encodeFragment, decodeFragment, splitIntoFragments, FragmentReassembler, type Fragment, type ReassemblyResult } from './fragment.js';
export { Connection, clockDerivedInitialSeq, type ConnectionInit, type ConnectionRole } from './connection.js';
export { emptyConnectionStats, totalDrops, type ConnectionStats } from './stats.js';
export { ECHO_ACK_TIMEOUT_MS, SHUTDOWN_STATE_NUM } from './constants.js';
export { Transport, type PeerRestart, type TransportConnection, type TransportInit, type TransportStats } from './transport.js';
export { outageTrySpacingMs } from './outage.js';
export { TSMOSH_TIMING, TSMOSH_SERVER_TIMING, TSMOSH_CLIENT_TIMING, MOSH_TIMING, backedOffDelay, resolveTiming, type TransportTiming } from './timing.js';
export { MOSH_ENVIRONMENT_TWINS, adoptMoshEnvironment } from './mosh-environment.js';
export { TERMINAL_IDENTITY_VARIABLES, TERMINAL_IDENTITY_VALUE_MAX, terminalIdentityAssignments } from './terminal-identity.js';
export { StreamFrameReader, encodeStreamFrame, STREAM_FRAME_HEADER_BYTES } from './stream-frames.js';
export { ByteReader, ByteWriter } from './byte-codec.js';
export { RandomPool, RANDOM_POOL_BLOCK_BYTES } from './random-pool.js';
export { SESSION_ID_PATTERN, SESSION_NAME_PATTERN } from './session-name.js';
export { stateDirectory } from './state-dir.js';
export { LatencyTrace, LATENCY_TRACE_ENV, parseTraceLine } from './latency-trace.js';
export { DueTimer, MAX_TIMER_DELAY_MS, type DueTimerFunctions } from './due-timer.js';
export { PROTOCOL_MISMATCH_EXIT_STATUS, PROTOCOL_VERSION, REQUIRE_PROTOCOL_ENV } from './protocol-version.js';
export { ChannelMux, DEFAULT_CHANNEL_LIMITS, MAX_ACK_DELAY_MS, MAX_PACKETS_PER_POLL, type ChannelLimits, type MuxEvent, type MuxRole, type MuxStats } from './channel-mux.js';
export { decodeChannelPacket, encodeChannelPacket, type ChannelFrame, type ChannelPacket, type ChannelTarget } from './channel-codec.js';
export { DeliveryRateEstimator } from './delivery-rate.js';
export { CongestionController, INITIAL_BUDGET_BYTES, BUDGET_GAIN, PROBE_GAIN, DRAIN_GAIN, QUEUE_SIGNAL_MIN_MS, MIN_RTT_WINDOW_MS, MEMORY_MIN_MS, MEMORY_ROUND_TRIPS, type CongestionInit } from './congestion.js';
