/**
 * Synchronized output (DEC private mode 2026) on the user's terminal: a terminal that supports it shows a repaint
 * wrapped in `CSI ? 2026 h` … `CSI ? 2026 l` all at once, never half drawn. Whether it does is asked at start-up
 * (terminal-probe.ts, DECRQM) and repaints are wrapped only when the answer says the mode is known: sending it
 * blindly could leave an unaware terminal printing garbage or, worse, one that misreads it waiting for an end it never
 * sees.
 */

const BEGIN_SYNCHRONIZED_UPDATE = '\x1b[?2026h';
const END_SYNCHRONIZED_UPDATE = '\x1b[?2026l';

/** `frame` wrapped for an atomic repaint when the terminal said it supports it. */
export function wrapSynchronized(frame: string, supported: boolean | undefined): string {
  return supported === true && frame !== '' ? `${BEGIN_SYNCHRONIZED_UPDATE}${frame}${END_SYNCHRONIZED_UPDATE}` : frame;
}
