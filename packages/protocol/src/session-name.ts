/**
 * A session name: what `tsmosh-server new --name` and `kill` take, and what the tsmosh command checks before it
 * logs in. Letters, digits, `.`, `_`, `-`, at most 64: safe unquoted on every shell and in a file name (the client's
 * per-host state), and never mistaken for an option.
 */
export const SESSION_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
