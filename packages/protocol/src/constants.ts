/**
 * Datagram-layer constants. Every byte layout named here is drawn in docs/protocol.md. The transport's timing
 * constants live in timing.ts.
 */

/** First byte of every datagram. Bump on any incompatible change; receivers drop (and count) other versions. */
export const WIRE_VERSION = 1;

/** bytes: the printable key's binary form is the session ID followed by the secret. */
export const SESSION_ID_BYTES = 8;
/** bytes: 128-bit secret; HKDF stretches it to one 256-bit key per direction. */
export const SESSION_SECRET_BYTES = 16;
/** characters: base64url without padding of SESSION_ID_BYTES + SESSION_SECRET_BYTES = 24 bytes. */
export const SESSION_KEY_PRINTABLE_LENGTH = 32;

/** bytes: version (1) + session ID (8) + direction bit and 63-bit sequence number (8). Sent in clear, authenticated. */
export const HEADER_BYTES = 1 + SESSION_ID_BYTES + 8;
/** bytes: Poly1305 tag. */
export const TAG_BYTES = 16;
/** bytes: sender timestamp (u16) + echoed timestamp (u16), the first sealed bytes. */
export const TIMESTAMP_BYTES = 4;
/** bytes: instruction ID (u64) + final flag and fragment index (u16). */
export const FRAGMENT_HEADER_BYTES = 10;
/** bytes: everything around a fragment's chunk of instruction bytes. */
export const DATAGRAM_OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES + TIMESTAMP_BYTES + FRAGMENT_HEADER_BYTES;

/**
 * bytes of UDP payload: 1280 (the IPv6 minimum MTU, which mosh also uses for IPv4 after a VPN dropped bigger
 * packets) minus 20 (IPv4) and 8 (UDP). Path-MTU discovery is not attempted; a fixed safe size never fragments.
 */
export const DEFAULT_IPV4_MTU = 1252;
/** bytes of UDP payload: 1280 minus 40 (IPv6), 16 (room for an extension header or tunnel) and 8 (UDP), as mosh. */
export const DEFAULT_IPV6_MTU = 1216;
/**
 * bytes: smallest MTU a Connection accepts. With at most MAX_FRAGMENTS_PER_INSTRUCTION fragments, each chunk must hold
 * at least 257 bytes for a maximal instruction to fit, and a fragment of an instruction of several carries
 * PARITY_HEADER_BYTES more (fragment.ts): 257 + 47 + 6 = 310; 512 leaves margin and is below any real path MTU (IPv4
 * hosts must take 576-byte datagrams).
 */
export const MIN_MTU = 512;
/** The fragment index is 14 bits (the 16th is the final flag, the 15th the parity flag: fragment.ts). */
export const MAX_FRAGMENTS_PER_INSTRUCTION = 0x4000;
/**
 * bytes: what a parity fragment carries before its chunk: the instruction's data fragment count (u16) and its encoded
 * length (u32), which the receiver needs to decode before it has the final data fragment.
 */
export const PARITY_HEADER_BYTES = 6;
/**
 * bytes: datagrams longer than this are dropped as oversize before any work. A peer never sends more than its MTU
 * (at most a 1500-byte Ethernet frame's payload); 2048 matches mosh's receive buffer and leaves room for jumbo links.
 */
export const MAX_DATAGRAM_BYTES = 2048;

/** The 16-bit timestamp value that means "no echoed timestamp". A real timestamp that would equal it is bumped. */
export const TIMESTAMP_NONE = 0xffff;
/**
 * ms: an echoed timestamp is only sent if the peer's datagram arrived this recently. Older ones would measure our
 * own idleness, not the path (mosh uses the same 1 s).
 */
export const TIMESTAMP_ECHO_MAX_HOLD_MS = 1000;

/** Largest sequence number: the top bit of the 64-bit field is the direction. */
export const MAX_SEQUENCE = (1n << 63n) - 1n;

/**
 * The state number that announces shutdown (mosh uses uint64 −1). The largest safe integer: a real state number
 * never reaches it (one state per millisecond would take 285,000 years), and it survives the varint codec exactly.
 */
export const SHUTDOWN_STATE_NUM = Number.MAX_SAFE_INTEGER;

/** Instruction codec format, the first byte of every encoded instruction. */
export const INSTRUCTION_FORMAT_VERSION = 1;
/**
 * First byte of a channel packet (forwarded streams, docs/protocol.md §11) where an instruction's format byte would
 * be: the two share the fragment layer, and this byte tells them apart.
 */
export const CHANNEL_PACKET_FORMAT = 2;
/**
 * bytes: the largest instruction body a receiver will inflate. Bounds the memory a hostile-but-authentic peer (or a
 * bug) can make us allocate per instruction; a 4 MiB diff is far above any screen (mosh uses the same cap).
 */
export const MAX_INSTRUCTION_BYTES = 4 * 1024 * 1024;

/**
 * bytes per second: what one connection may make us inflate. Inflating costs 10–20 ms per 4 MiB here (50 ms while
 * the JIT is cold), so a keyed peer sending small instructions that inflate to MAX_INSTRUCTION_BYTES each (4 KB on
 * the wire, 4 MiB inflated) could take a whole core and delay every other session of the daemon (a 596 ms typing
 * median was measured in one beside it). 8 MiB/s holds such a peer to two maximal instructions a second, far above
 * honest use: a screen diff is tens of KiB, a history catch-up a few hundred, and a 1 MiB paste resent every 250 ms on
 * a lossy link is 4 MiB/s. An instruction over the budget is dropped and counted (`dropInflateBudget`); an honest
 * sender resends it.
 */
export const INFLATE_BYTES_PER_SECOND = 8 * 1024 * 1024;
/** bytes: the inflate budget's burst, one maximal instruction, so one large paste or screen never waits on it. */
export const INFLATE_BURST_BYTES = MAX_INSTRUCTION_BYTES;

/**
 * Reassembly bounds. Several partial instructions may be in flight at once (mosh keeps one and loses a large frame
 * to any interleaving); these caps hold a flood of authentic fragments to bounded memory.
 */
export const MAX_PARTIAL_INSTRUCTIONS = 8;
/**
 * bytes: what a held fragment costs beyond its chunk, charged against MAX_REASSEMBLY_BYTES. Measured on Node 20: a
 * Map entry holding an empty Uint8Array costs 213 bytes of heap. Without this charge a keyed peer's empty or tiny
 * fragments cost nothing against the budget: 8 partials × 32,768 empty fragments held 53 MB.
 */
export const REASSEMBLY_FRAGMENT_COST_BYTES = 256;
/**
 * bytes: what all partial instructions may cost together (chunks plus REASSEMBLY_FRAGMENT_COST_BYTES each). Enough for
 * one maximal instruction in ~1,200-byte chunks (3,500 fragments: 4 MiB + 0.9 MiB) to complete, so memory stays
 * near 5 MiB per connection whatever a peer sends.
 */
export const MAX_REASSEMBLY_BYTES = MAX_INSTRUCTION_BYTES + 1024 * 1024;
/**
 * ms: a keystroke that changes nothing on the screen (a password prompt, vim's normal mode) is acknowledged by the
 * server's echo acknowledgement this long after it reaches the pty (mosh's ECHO_TIMEOUT); the client judges no such
 * key lost sooner (TransportTiming.peerAckHoldMs).
 */
export const ECHO_ACK_TIMEOUT_MS = 50;
/** How many completed instruction IDs are remembered so a late duplicate fragment cannot deliver one twice. */
export const COMPLETED_INSTRUCTION_MEMORY = 64;

/**
 * Replay window width in sequence numbers. One large frame is sent as a burst of consecutive sequence numbers;
 * a wide window lets reordering of a 100-fragment burst through a jittery link through, at 128 bytes of state.
 */
export const REPLAY_WINDOW_BITS = 1024;
