/**
 * A session name: what `tsmosh-server new --name` and `kill` take, and what the tsmosh command checks before it
 * logs in. Letters, digits, `.`, `_`, `-`, at most 64: safe unquoted on every shell and in a file name (the client's
 * per-host state), and never mistaken for an option.
 */
export const SESSION_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

/**
 * The shape of a session ID (its first key's 64-bit ID in lower-case hex), which `--session` also takes: asking for
 * an unnamed session by its ID is how a new client takes it back. A name of this shape that names no session is
 * refused rather than started, since it is almost surely an ID whose session has ended.
 */
export const SESSION_ID_PATTERN = /^[0-9a-f]{16}$/;
