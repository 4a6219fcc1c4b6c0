/**
 * Counters a Connection keeps, for the daemon's status report and for tests. Every datagram that arrives either
 * moves `datagramsIn` and then exactly one of the `drop*` counters, or is accepted (`datagramsAccepted`).
 */
export interface ConnectionStats {
  datagramsIn: number;
  bytesIn: number;
  datagramsOut: number;
  bytesOut: number;
  /** Authentic, fresh datagrams whose fragment was taken (complete or not). */
  datagramsAccepted: number;
  /**
   * The peer's datagrams that never came: a sequence number skipped and still missing once one numbered 3 past it
   * arrived (connection.ts REORDER_TOLERANCE_DATAGRAMS), so lost on the way rather than reordered. The transport
   * reads it as loss seen on the link.
   */
  datagramsMissed: number;
  instructionsIn: number;
  instructionsOut: number;
  /** Channel packets (forwarded streams, docs/protocol.md §11) handed to the channel sink, and sealed. */
  channelPacketsIn: number;
  channelPacketsOut: number;
  /** Shorter than a header, tag, timestamps and fragment header. */
  dropTruncated: number;
  /** Longer than MAX_DATAGRAM_BYTES. */
  dropOversize: number;
  /** First byte is not WIRE_VERSION. */
  dropUnknownVersion: number;
  /** Session ID in the header is not this connection's. */
  dropWrongSession: number;
  /** Direction bit says the datagram travels the way this end sends (a reflection, or two clients/servers). */
  dropWrongDirection: number;
  /** Authentication failed: wrong key, tampering, forged header. */
  dropBadTag: number;
  /** Sequence number already seen inside the replay window. */
  dropReplay: number;
  /** Sequence number below the replay window: too old to tell apart from a replay. */
  dropTooOld: number;
  /** Authentic but the fragment was inconsistent (see FragmentReassembler). */
  dropBadFragment: number;
  /** Authentic and reassembled, but the instruction did not decode. */
  dropBadInstruction: number;
  /** Authentic instructions dropped unread because inflating them would pass INFLATE_BYTES_PER_SECOND. */
  dropInflateBudget: number;
  /** Authentic fragments ignored as duplicates of held or delivered ones, or stale. */
  fragmentsIgnored: number;
  /** Partial instructions evicted from reassembly to stay within bounds. */
  partialsEvicted: number;
  /** Instructions sent again under their first try's ID and bytes, so the receiver joins the tries (fragment-reuse.ts). */
  instructionsReused: number;
  /** Parity fragments sent with large instructions' tries (parity.ts), each in a datagram of its own. */
  parityFragmentsOut: number;
  /** Instructions completed with parity fragments standing in for lost data fragments (fec.ts). */
  instructionsDecoded: number;
  /**
   * Instructions handed over again for a later try of one already delivered (fragment-reuse.ts), so a resend is
   * acknowledged; not counted in instructionsIn.
   */
  instructionsRepeated: number;
}

export function emptyConnectionStats(): ConnectionStats {
  return {
    datagramsIn: 0,
    bytesIn: 0,
    datagramsOut: 0,
    bytesOut: 0,
    datagramsAccepted: 0,
    datagramsMissed: 0,
    instructionsIn: 0,
    instructionsOut: 0,
    channelPacketsIn: 0,
    channelPacketsOut: 0,
    dropTruncated: 0,
    dropOversize: 0,
    dropUnknownVersion: 0,
    dropWrongSession: 0,
    dropWrongDirection: 0,
    dropBadTag: 0,
    dropReplay: 0,
    dropTooOld: 0,
    dropBadFragment: 0,
    dropBadInstruction: 0,
    dropInflateBudget: 0,
    fragmentsIgnored: 0,
    partialsEvicted: 0,
    instructionsReused: 0,
    parityFragmentsOut: 0,
    instructionsDecoded: 0,
    instructionsRepeated: 0,
  };
}

/** Sum of all drop counters. */
export function totalDrops(stats: ConnectionStats): number {
  return (
    stats.dropTruncated +
    stats.dropOversize +
    stats.dropUnknownVersion +
    stats.dropWrongSession +
    stats.dropWrongDirection +
    stats.dropBadTag +
    stats.dropReplay +
    stats.dropTooOld +
    stats.dropBadFragment +
    stats.dropBadInstruction
  );
}
