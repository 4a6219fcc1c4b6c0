/**
 * The terminal's state outside its cells, as the renderer sends it: DEC private modes (cursor keys, mouse tracking
 * and encoding, focus, bracketed paste, keypad), the window title, OSC 9;4 progress, OSC 52 clipboard writes and
 * the cursor's shape. Everything here may come from the network, so each value is checked or clamped before it
 * becomes an escape sequence: an unknown mode is dropped, a title loses its control characters, a clipboard write
 * must be a copy (never a query) with a base64 payload.
 */
import { DEFAULT_MODES, type ClipboardWrite, type CursorStyle, type MouseEncoding, type MouseTracking, type TerminalModes } from './framebuffer.js';
import type { Progress } from './notifications.js';


const MOUSE_TRACKING_MODES: Record<Exclude<MouseTracking, 'none'>, number> = { x10: 9, vt200: 1000, drag: 1002, any: 1003 };
const MOUSE_ENCODING_MODES: Record<Exclude<MouseEncoding, 'default'>, number> = { utf8: 1005, sgr: 1006, urxvt: 1015, 'sgr-pixels': 1016 };
/** Every private mode the renderer may set; exit() resets them all in one sequence. */
export const ALL_PRIVATE_MODES = [1, 5, 9, 1000, 1002, 1003, 1004, 1005, 1006, 1015, 1016, 2004];

export function sanitizeModes(modes: TerminalModes | undefined): TerminalModes {
  const m = modes ?? DEFAULT_MODES;
  const tracking = Object.hasOwn(MOUSE_TRACKING_MODES, m.mouseTracking) ? m.mouseTracking : 'none';
  const encoding = Object.hasOwn(MOUSE_ENCODING_MODES, m.mouseEncoding) ? m.mouseEncoding : 'default';
  const kitty = Number.isInteger(m.kittyKeyboardFlags) && m.kittyKeyboardFlags > 0 ? m.kittyKeyboardFlags & 0x1f : 0;
  const modifyOtherKeys = m.modifyOtherKeys === 1 || m.modifyOtherKeys === 2 ? m.modifyOtherKeys : 0;
  return {
    applicationCursorKeys: m.applicationCursorKeys === true,
    applicationKeypad: m.applicationKeypad === true,
    bracketedPaste: m.bracketedPaste === true,
    mouseTracking: tracking,
    mouseEncoding: encoding,
    focusReporting: m.focusReporting === true,
    kittyKeyboardFlags: kitty,
    modifyOtherKeys,
    reverseVideo: m.reverseVideo === true,
  };
}

/** DECSET/DECRST for the standard modes that differ (all of them when `from` is unknown). */
export function modeChanges(from: TerminalModes | undefined, to: TerminalModes): string {
  const set: number[] = [];
  const reset: number[] = [];
  const flag = (mode: number, was: boolean | undefined, is: boolean) => {
    if (was !== is) (is ? set : reset).push(mode);
  };
  flag(1, from?.applicationCursorKeys, to.applicationCursorKeys);
  flag(5, from?.reverseVideo, to.reverseVideo);
  flag(1004, from?.focusReporting, to.focusReporting);
  flag(2004, from?.bracketedPaste, to.bracketedPaste);
  if (from === undefined) {
    for (const [name, mode] of Object.entries(MOUSE_TRACKING_MODES)) if (name !== to.mouseTracking) reset.push(mode);
    if (to.mouseTracking !== 'none') set.push(MOUSE_TRACKING_MODES[to.mouseTracking]);
    for (const [name, mode] of Object.entries(MOUSE_ENCODING_MODES)) if (name !== to.mouseEncoding) reset.push(mode);
    if (to.mouseEncoding !== 'default') set.push(MOUSE_ENCODING_MODES[to.mouseEncoding]);
  } else {
    if (from.mouseTracking !== to.mouseTracking) {
      // Setting a tracking mode replaces the active one; only switching off needs a reset.
      if (to.mouseTracking !== 'none') set.push(MOUSE_TRACKING_MODES[to.mouseTracking]);
      else reset.push(MOUSE_TRACKING_MODES[from.mouseTracking as Exclude<MouseTracking, 'none'>]);
    }
    if (from.mouseEncoding !== to.mouseEncoding) {
      // Encodings are independent flags with a precedence: clear the old one before setting the new.
      if (from.mouseEncoding !== 'default') reset.push(MOUSE_ENCODING_MODES[from.mouseEncoding]);
      if (to.mouseEncoding !== 'default') set.push(MOUSE_ENCODING_MODES[to.mouseEncoding]);
    }
  }
  let out = '';
  if (reset.length > 0) out += `\x1b[?${reset.join(';')}l`;
  if (set.length > 0) out += `\x1b[?${set.join(';')}h`;
  if (from === undefined || from.applicationKeypad !== to.applicationKeypad) out += to.applicationKeypad ? '\x1b=' : '\x1b>';
  return out;
}

/** Window titles are shown by the local terminal: keep only printable text, bounded. */
export function sanitizeTitle(title: unknown): string {
  if (typeof title !== 'string') return '';
  let out = '';
  for (const ch of title) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp <= 0xdfff)) continue;
    if (out.length + ch.length > 1024) break;
    out += ch;
  }
  return out;
}

/** OSC 9;4 with the state and a value in 0–100 (ConEmu's form, which Windows Terminal and ghostty follow). */
export function progressSequence(progress: Progress): string {
  const state = Math.min(4, Math.max(0, Math.trunc(progress.state) || 0));
  const value = Math.min(100, Math.max(0, Math.trunc(progress.value) || 0));
  return `\x1b]9;4;${state};${value}\x1b\\`;
}

/** OSC 52 copy only (never a query, which would read the user's clipboard), with a strictly base64 payload. */
export function clipboardSequence(write: ClipboardWrite): string {
  if (typeof write.selection !== 'string' || !/^[cpqs0-7]*$/.test(write.selection)) return '';
  if (typeof write.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(write.data)) return '';
  return `\x1b]52;${write.selection};${write.data}\x07`;
}

export function cursorShapeCode(style: CursorStyle, blink: boolean): number {
  const base = style === 'underline' ? 3 : style === 'bar' ? 5 : 1;
  const code = blink ? base : base + 1;
  // A blinking block is the model's default cursor (DEFAULT_CURSOR, and what the server's mirror reports while the
  // program never sent DECSCUSR): ask for the user's own configured cursor (0), not a forced block.
  return code === 1 ? 0 : code;
}
