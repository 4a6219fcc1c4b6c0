/**
 * The protocol generation: one number for everything a client and a daemon must agree on to talk (the datagram
 * layer, the instruction codec, the screen and input diffs, the control socket's requests). `tsmosh --version` and
 * `tsmosh-server --version` print it, and whatever puts a server on a host matches on it rather than on package
 * versions. Bump it whenever any of the versions it gathers changes (docs/protocol.md).
 *
 * Generations: 1, the first wave (screen diff fields 0–9); 2, screen diff version 2 (notifications, progress, and the
 * scrollback log with where the screen stands and the resize shift), control protocol 2 (capability token).
 */
export const PROTOCOL_VERSION = 2;
