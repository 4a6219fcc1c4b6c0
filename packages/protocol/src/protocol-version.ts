/**
 * The protocol generation: one number for everything a client and a daemon must agree on to talk (the datagram
 * layer, the instruction codec, the screen and input diffs, the control socket's requests). `tsmosh --version` and
 * `tsmosh-server --version` print it, and whatever puts a server on a host matches on it rather than on package
 * versions. Bump it whenever any of the versions it gathers changes (docs/protocol.md).
 *
 * Generations: 1, the first wave (screen diff fields 0–9); 2, screen diff version 2 (notifications, progress, and the
 * scrollback log with where the screen stands and the resize shift), control protocol 2 (capability token); 3, channel
 * packets (forwarded streams, format byte 2 beside instructions) and `new --forward-agent`; 4, screen diff version 3
 * (OSC 8 hyperlinks: cells carry their link); 5, input diff version 2 (the `terminal` event: what the user's
 * terminal answered at start-up); 6, screen diff version 4 (the scrollback log's screen top is signed: a state that
 * offers only part of the history says where the screen stands beyond it); 7, state 0 of every link is an 80x24
 * blank screen at both ends (ScreenState.zero: it was each end's own size), `new --size COLSxROWS` and screen diff
 * version 5 (cells carry their underline style, SGR 4:N, and underline colour, SGR 58); 8, screen diff version 6 (an
 * echo acknowledgement carried on a later screen says where the screen that answered had the cursor); 9, `new
 * --keep-every-line` (the program waits for its client rather than the history dropping lines: a client that writes
 * text asks for it, and a server that did not know the option refused it); 10, `new --no-echo` (a script's text
 * session starts its program with the pty's echo off; a server that did not know the option refused it), and
 * `--keep-every-line` honoured on attach (a text client attaching gets every line from then on; before, ignored);
 * 11, parity fragments (fragment.ts: the fragment header's second bit marks one, the index has 14 bits, and the
 * data fragments of an instruction of several are 6 bytes shorter; a receiver of 10 would drop such an instruction
 * as contradictory fragments), so a large instruction's try completes from any k of its fragments.
 */
export const PROTOCOL_VERSION = 11;

/**
 * Set by a client in the environment of the `tsmosh-server` it runs on a host: the protocol it needs. A server of
 * another protocol exits with PROTOCOL_MISMATCH_EXIT_STATUS instead of acting, and the client installs its own
 * version (an unset variable, as from a person at a shell, asks for nothing).
 */
export const REQUIRE_PROTOCOL_ENV = 'TSMOSH_REQUIRE_PROTOCOL';

/**
 * `tsmosh-server`'s exit status when it speaks another protocol than REQUIRE_PROTOCOL_ENV asks for. Any value the
 * server does not otherwise use would do; 86 is outside the shell's 126-127 (not runnable, not found) and the
 * 128+N of a signal.
 */
export const PROTOCOL_MISMATCH_EXIT_STATUS = 86;
