/**
 * SGR (Select Graphic Rendition): the pen a terminal draws with, and the shortest escape sequence that changes it.
 *
 * Colours are written in the mode they were received in (SGR 31, 91, 38;5;1 and 38;2;r;g;b stay distinct), because
 * an emulator reports them as different cells and a user's palette may paint them differently.
 */
import {
  Attr,
  ATTR_ALL,
  COLOR_DEFAULT,
  COLOR_MODE_MASK,
  COLOR_PALETTE_16,
  COLOR_PALETTE_256,
  COLOR_RGB,
  COLOR_VALUE_MASK,
  UNDERLINE_STYLE_MASK,
  UnderlineStyle,
  isUnderlineColor,
  underlineStyleOf,
  type Color,
} from './framebuffer.js';

/** The rendition part of a cell: what SGR controls. */
export interface Pen {
  readonly fg: Color;
  readonly bg: Color;
  readonly attrs: number;
  /** The underline colour (Cell.underlineColor): absent for the default and without Attr.Underline. */
  readonly underlineColor?: Color;
}

export const DEFAULT_PEN: Pen = Object.freeze({ fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 0 });

export function pensEqual(a: Pen, b: Pen): boolean {
  return a.fg === b.fg && a.bg === b.bg && a.attrs === b.attrs && a.underlineColor === b.underlineColor;
}

/** A colour with an impossible mode or index becomes the default colour, so garbage never reaches the terminal. */
export function sanitizeColor(color: Color): Color {
  if (!Number.isInteger(color) || color < 0 || color > (COLOR_MODE_MASK | COLOR_VALUE_MASK)) return COLOR_DEFAULT;
  const mode = color & COLOR_MODE_MASK;
  const value = color & COLOR_VALUE_MASK;
  if (mode === 0) return COLOR_DEFAULT;
  if (mode === COLOR_PALETTE_16 && value > 15) return COLOR_DEFAULT;
  if (mode === COLOR_PALETTE_256 && value > 255) return COLOR_DEFAULT;
  return color;
}

/**
 * The pen made canonical: colours valid, attribute bits known, an underline style only with the underline (an
 * unknown style is single), an underline colour only on an underlined pen and only in a form SGR 58 has.
 */
export function sanitizePen(pen: Pen): Pen {
  const fg = sanitizeColor(pen.fg);
  const bg = sanitizeColor(pen.bg);
  let attrs = Number.isInteger(pen.attrs) ? pen.attrs & ATTR_ALL : 0;
  if (attrs & UNDERLINE_STYLE_MASK) {
    const style = underlineStyleOf(attrs);
    if (style === UnderlineStyle.None || style > UnderlineStyle.Dashed) attrs &= ~UNDERLINE_STYLE_MASK;
  }
  const underlineColor = attrs & Attr.Underline && isUnderlineColor(pen.underlineColor) ? pen.underlineColor : undefined;
  if (fg === pen.fg && bg === pen.bg && attrs === pen.attrs && underlineColor === pen.underlineColor) return pen;
  return underlineColor === undefined ? { fg, bg, attrs } : { fg, bg, attrs, underlineColor };
}

/** SGR parameters that select `color` as foreground (`layer` 30) or background (`layer` 40). */
function colorParams(color: Color, layer: 30 | 40): string {
  const value = color & COLOR_VALUE_MASK;
  switch (color & COLOR_MODE_MASK) {
    case COLOR_PALETTE_16:
      // 0–7 are the classic 30–37/40–47; 8–15 are the aixterm bright colours 90–97/100–107.
      return String(value < 8 ? layer + value : layer + 60 + value - 8);
    case COLOR_PALETTE_256:
      return `${layer + 8};5;${value}`;
    case COLOR_RGB:
      return `${layer + 8};2;${(value >> 16) & 0xff};${(value >> 8) & 0xff};${value & 0xff}`;
    default:
      return String(layer + 9);
  }
}

/** Each attribute with its SGR "on" parameter, in a fixed order so output is deterministic. */
const ATTR_ON: readonly (readonly [Attr, string])[] = [
  [Attr.Bold, '1'],
  [Attr.Dim, '2'],
  [Attr.Italic, '3'],
  [Attr.Underline, '4'],
  [Attr.Blink, '5'],
  [Attr.Inverse, '7'],
  [Attr.Invisible, '8'],
  [Attr.Strikethrough, '9'],
  [Attr.Overline, '53'],
];

/** "Off" parameters. Bold and dim share SGR 22, which clears both. */
const ATTR_OFF: readonly (readonly [Attr, string])[] = [
  [Attr.Italic, '23'],
  [Attr.Underline, '24'],
  [Attr.Blink, '25'],
  [Attr.Inverse, '27'],
  [Attr.Invisible, '28'],
  [Attr.Strikethrough, '29'],
  [Attr.Overline, '55'],
];

/**
 * The underline's "on" parameter: 4 for single, the colon form 4:N for the other styles (ITU T.416 sub-parameters,
 * what kitty, WezTerm, foot, iTerm2, VTE, Windows Terminal, Alacritty, ghostty, tmux ≥ 3.0 and xterm.js read). Only
 * a program that used a style gets one (docs/architecture.md, the renderer).
 */
function underlineParam(attrs: number): string {
  const style = underlineStyleOf(attrs);
  return style <= UnderlineStyle.Single ? '4' : `4:${style}`;
}

/** SGR 58's parameter for an underline colour (colon form, empty colour space id for RGB); 59 for the default. */
function underlineColorParam(color: Color | undefined): string {
  if (color === undefined) return '59';
  const value = color & COLOR_VALUE_MASK;
  return (color & COLOR_MODE_MASK) === COLOR_RGB ? `58:2::${(value >> 16) & 0xff}:${(value >> 8) & 0xff}:${value & 0xff}` : `58:5:${value}`;
}

function onParams(attrs: number, params: string[]): void {
  for (const [flag, param] of ATTR_ON) if (attrs & flag) params.push(flag === Attr.Underline ? underlineParam(attrs) : param);
}

function resetForm(to: Pen): string[] {
  const params: string[] = [];
  onParams(to.attrs, params);
  if (to.fg !== COLOR_DEFAULT) params.push(colorParams(to.fg, 30));
  if (to.bg !== COLOR_DEFAULT) params.push(colorParams(to.bg, 40));
  if (to.underlineColor !== undefined) params.push(underlineColorParam(to.underlineColor));
  return params;
}

function deltaForm(from: Pen, to: Pen): string[] {
  const params: string[] = [];
  const removed = from.attrs & ~to.attrs;
  let added = to.attrs & ~from.attrs;
  if (removed & (Attr.Bold | Attr.Dim)) {
    params.push('22');
    // 22 clears both intensities: put back the one that stays.
    added |= to.attrs & (Attr.Bold | Attr.Dim);
  }
  for (const [flag, param] of ATTR_OFF) if (removed & flag) params.push(param);
  // An underline that stays but changes style is turned on again in its new style.
  if (to.attrs & from.attrs & Attr.Underline && (to.attrs ^ from.attrs) & UNDERLINE_STYLE_MASK) added |= Attr.Underline;
  onParams(added | (to.attrs & UNDERLINE_STYLE_MASK), params);
  if (from.fg !== to.fg) params.push(colorParams(to.fg, 30));
  if (from.bg !== to.bg) params.push(colorParams(to.bg, 40));
  if (from.underlineColor !== to.underlineColor) params.push(underlineColorParam(to.underlineColor));
  return params;
}

/**
 * The shortest SGR sequence that changes the pen from `from` to `to`: either a delta (turn off what went, turn on
 * what came, change colours) or a reset followed by everything `to` needs. `from === undefined` means the
 * terminal's pen is unknown, which forces the reset form. Returns '' when nothing changes.
 */
export function sgrTransition(from: Pen | undefined, to: Pen): string {
  const reset = resetForm(to);
  const resetSequence = reset.length === 0 ? '\x1b[m' : `\x1b[0;${reset.join(';')}m`;
  if (from === undefined) return resetSequence;
  if (pensEqual(from, to)) return '';
  const delta = deltaForm(from, to);
  const deltaSequence = `\x1b[${delta.join(';')}m`;
  return deltaSequence.length <= resetSequence.length ? deltaSequence : resetSequence;
}
