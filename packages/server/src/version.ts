/** The server's version, as `tsmosh-server --version` and the daemon's status report it. */
export const SERVER_VERSION = '0.1.0';
