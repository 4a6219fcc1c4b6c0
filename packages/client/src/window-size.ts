import { MAX_SCREEN_COLS, MAX_SCREEN_ROWS } from '@tsmosh/terminal/front';

/**
 * The size the remote screen gets for a local window: the window, clamped to the widest and tallest screen the wire
 * carries (MAX_SCREEN_COLS x MAX_SCREEN_ROWS). A larger window shows the remote screen in its top-left corner
 * instead of ending the session.
 */
export function remoteSize(window: { readonly cols: number; readonly rows: number }): { cols: number; rows: number } {
  return { cols: Math.min(window.cols, MAX_SCREEN_COLS), rows: Math.min(window.rows, MAX_SCREEN_ROWS) };
}

/**
 * The window's size now, asked of the tty (one ioctl; Node's columns and rows follow SIGWINCH later), or undefined
 * when `output` is not a terminal (a pipe in a script) or reports no size.
 */
export function ttyWindowSize(output: NodeJS.WriteStream): { cols: number; rows: number } | undefined {
  if (!output.isTTY) return undefined;
  const [cols, rows] = typeof output.getWindowSize === 'function' ? output.getWindowSize() : [output.columns, output.rows];
  return cols > 0 && rows > 0 ? { cols, rows } : undefined;
}

/**
 * `tsmosh-server new --size COLSxROWS` for `window` (ttyWindowSize): the session's command starts at the size it will
 * be shown at. Without it the session starts at 80x24 and learns the window from the client's first datagram, after
 * a quick command has already run (its output formatted for 80 columns, its last screen held at 80x24). None without
 * a terminal: the client then shows the session at 80x24 anyway.
 */
export function sessionSizeArguments(window: { readonly cols: number; readonly rows: number } | undefined): string[] {
  if (window === undefined) return [];
  const size = remoteSize(window);
  return ['--size', `${size.cols}x${size.rows}`];
}
