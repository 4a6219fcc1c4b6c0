/**
 * The terminal's two screens, as a local terminal uses them. A full-screen program (vim, less, htop, tmux) draws on
 * the remote terminal's alternate screen, and the client draws it on the local terminal's alternate screen too
 * (Renderer.enterAlternateScreen), where it leaves nothing in the user's history: a window made shorter while vim or
 * tmux shows would otherwise push rows of their screen into it, and the mouse wheel would scroll that history
 * instead of reaching the program as it does locally.
 *
 * Below the alternate screen the normal one keeps what it showed, and a window made shorter pushes *those* rows
 * into the history (the server's mirror does the same with its own normal screen, and the client skips the lines it
 * logs for that: scrollback-writer.ts). So before the switch the normal screen must show what the remote one holds,
 * as well as the client knows it: the last normal frame drawn. Only when the history writer has just drawn over it
 * is it repainted (as that frame when it fits the window, else blank); what the terminal itself reflowed, or what
 * the user's shell showed before the first frame, is left as it is, as a local terminal would.
 */
import { blankFramebuffer, type Framebuffer, type Renderer } from '@tsmosh/terminal';

/**
 * Bytes that leave the normal screen as it should be below the alternate one, and the frame it then shows (for
 * Renderer.exit's cursor placement); `wroteHistory`: the history writer drew over it in this draw.
 */
export function normalScreenBelowAlternate(
  renderer: Renderer,
  wroteHistory: boolean,
  lastNormalFrame: Framebuffer | undefined,
  window: { readonly cols: number; readonly rows: number },
): { readonly bytes: string; readonly shows: Framebuffer | undefined } {
  if (!wroteHistory) return { bytes: '', shows: lastNormalFrame };
  const fits = lastNormalFrame !== undefined && lastNormalFrame.cols === window.cols && lastNormalFrame.rows === window.rows;
  const shows = fits ? lastNormalFrame : blankFramebuffer(window.cols, window.rows);
  return { bytes: renderer.render(undefined, shows), shows };
}
