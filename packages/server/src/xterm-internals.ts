/**
 * What xterm.js keeps only in private fields (cursor visibility, DECSCUSR shape and blink, the mouse encoding, the
 * OSC 8 link of a cell), and patches for its parser's defects. Every access to its private state lives here, so an
 * xterm upgrade breaks one module and its test, loudly.
 */
import type { IBufferCell, Terminal } from '@xterm/headless';
import { hyperlink, type CursorStyle, type Hyperlink, type MouseEncoding } from '@tsmosh/terminal';
import { firstParam } from './xterm-params.js';

/** What xterm.js keeps only in private fields. */
export interface XtermInternals {
  cursorHidden: boolean;
  /** DECSCUSR shape, undefined when the app has not set one (the terminal's configured style applies). */
  cursorStyle: CursorStyle | undefined;
  /** DECSCUSR blink, undefined when the app has not set one (the `cursorBlink` option, also set by ?12, applies). */
  cursorBlink: boolean | undefined;
  mouseEncoding: MouseEncoding;
}

interface XtermCoreShape {
  coreService?: { isCursorHidden?: unknown; decPrivateModes?: { cursorStyle?: unknown; cursorBlink?: unknown } };
  coreMouseService?: { activeEncoding?: unknown };
}

function internalsChanged(what: string): Error {
  return new Error(
    `@xterm/headless internals changed: ${what}. tsmosh reads cursor visibility, DECSCUSR and the mouse encoding ` +
      `and OSC 8 links from xterm's private fields (public API lacks them); update packages/server/src/xterm-internals.ts ` +
      `for the installed @xterm/headless version.`,
  );
}

/**
 * The one place that reaches into xterm.js private state (verified against @xterm/headless 6.0.0):
 * `_core.coreService.isCursorHidden` (DECTCEM), `_core.coreService.decPrivateModes.cursorStyle/cursorBlink`
 * (DECSCUSR) and `_core.coreMouseService.activeEncoding` (?1006/?1016). It throws rather than guess when the shape
 * differs, so an xterm upgrade fails the snapshot tests instead of silently showing a wrong cursor.
 */
export function readXtermInternals(term: Terminal): XtermInternals {
  const core = (term as unknown as { _core?: XtermCoreShape })._core;
  const coreService = core?.coreService;
  const hidden = coreService?.isCursorHidden;
  if (typeof hidden !== 'boolean') throw internalsChanged('_core.coreService.isCursorHidden is not a boolean');
  const dec = coreService!.decPrivateModes;
  if (dec === undefined) throw internalsChanged('_core.coreService.decPrivateModes is missing');
  const style = dec.cursorStyle;
  if (style !== undefined && style !== 'block' && style !== 'underline' && style !== 'bar') {
    throw internalsChanged(`decPrivateModes.cursorStyle is ${String(style)}`);
  }
  const blink = dec.cursorBlink;
  if (blink !== undefined && typeof blink !== 'boolean') throw internalsChanged('decPrivateModes.cursorBlink is not a boolean');
  const encoding = core!.coreMouseService?.activeEncoding;
  let mouseEncoding: MouseEncoding;
  switch (encoding) {
    case 'DEFAULT':
      mouseEncoding = 'default';
      break;
    case 'SGR':
      mouseEncoding = 'sgr';
      break;
    case 'SGR_PIXELS':
      mouseEncoding = 'sgr-pixels';
      break;
    default:
      throw internalsChanged(`_core.coreMouseService.activeEncoding is ${String(encoding)}`);
  }
  return { cursorHidden: hidden, cursorStyle: style, cursorBlink: blink, mouseEncoding };
}

/**
 * The scroll region (DECSTBM) in force, as rows from 0 (`_core.buffer.scrollTop/scrollBottom`, which xterm also
 * resets on a resize, RIS and DECSTR): a program draws inside one narrower than the screen while it scrolls part of it
 * (tmux scrolling one pane), and sets it back when done. Throws rather than guess when the shape differs.
 */
export function readScrollRegion(term: Terminal): { top: number; bottom: number } {
  const buffer = (term as unknown as { _core?: { buffer?: { scrollTop?: unknown; scrollBottom?: unknown } } })._core?.buffer;
  const top = buffer?.scrollTop;
  const bottom = buffer?.scrollBottom;
  if (typeof top !== 'number' || typeof bottom !== 'number') throw internalsChanged('_core.buffer.scrollTop/scrollBottom are not numbers');
  return { top, bottom };
}

/**
 * Works around @xterm/headless 6.0.0 defects that untrusted program output can trigger, through xterm private state
 * (the second and last place tsmosh touches it; see readXtermInternals):
 *
 * - ED 1 (`CSI 1 J`, erase above) with the cursor in the last column of a row that has no line below it (the
 *   bottom row of the alternate screen, or of a normal screen that has not scrolled yet) throws inside xterm's
 *   parser: it clears the wrap flag of `lines.get(y + 1)` with a viewport-relative index. The throw escapes from a
 *   timer (an uncaught exception, fatal to a daemon) and wedges xterm's write queue so no later write ever
 *   completes. That case erases the whole screen, which is exactly ED 2, so it is run as ED 2.
 * - As a last line of defence, any exception xterm throws while parsing drops the rest of that chunk, resets the
 *   parser to its ground state and is counted (`onParseError`) instead of escaping.
 *
 * Throws, with what to update, when the private shape differs from the one verified.
 */
export function guardXtermDefects(term: Terminal, onParseError: (error: unknown) => void): void {
  const core = (term as unknown as { _core?: { _inputHandler?: XtermInputHandlerShape } })._core;
  const handler = core?._inputHandler;
  if (
    handler === undefined ||
    typeof handler.parse !== 'function' ||
    typeof handler.eraseInDisplay !== 'function' ||
    typeof handler._parser?.reset !== 'function'
  ) {
    throw internalsChanged('_core._inputHandler.parse/eraseInDisplay/_parser.reset are missing');
  }
  const parser = handler._parser;
  const parse = handler.parse.bind(handler);
  handler.parse = (data: unknown, promiseResult?: unknown) => {
    try {
      return parse(data, promiseResult);
    } catch (error) {
      // The parser stopped mid-sequence; start the next chunk from the ground state, not inside a stale sequence.
      parser.reset();
      onParseError(error);
      return undefined;
    }
  };
  const eraseAboveHitsMissingLine = (): boolean => {
    const buffer = term.buffer.active;
    return buffer.cursorX >= term.cols - 1 && buffer.baseY + buffer.cursorY + 1 >= buffer.length;
  };
  for (const selective of [false, true]) {
    term.parser.registerCsiHandler(selective ? { prefix: '?', final: 'J' } : { final: 'J' }, (params) => {
      if (firstParam(params, 0) !== 1 || !eraseAboveHitsMissingLine()) return false;
      return handler.eraseInDisplay!({ params: [2], length: 1 }, selective);
    });
  }
}

interface XtermInputHandlerShape {
  parse: (data: unknown, promiseResult?: unknown) => unknown;
  _parser?: { reset: () => void };
  eraseInDisplay?: (params: { params: number[]; length: number }, respectProtect: boolean) => boolean;
}

/**
 * A terminal's OSC 8 links, read cell by cell. xterm keeps a cell's link as a number (`urlId`) in the cell's
 * extended attributes, and the link itself (URI and `id=`) in its OSC link service (`_core._oscLinkService`,
 * `getLinkData(urlId)`). xterm also reports every linked cell as underlined (its style for links, not the
 * program's): the program's own underline is the underline flag of the cell's foreground word (bit 28).
 */
export interface XtermLinks {
  /** The cell's link number, 0 for none. */
  urlIdOf(cell: IBufferCell): number;
  /** The link under `urlId` as a shared Hyperlink; undefined when xterm forgot it or it cannot be sent (hyperlink()). */
  linkOf(urlId: number): Hyperlink | undefined;
  /** Whether the program underlined a cell that xterm holds with a link (SGR 4 and its styles). */
  programUnderlined(cell: IBufferCell): boolean;
}

interface XtermCellShape {
  fg?: unknown;
  bg?: unknown;
  extended?: { urlId?: unknown };
}
interface XtermLinkServiceShape {
  getLinkData?: (urlId: number) => { uri?: unknown; id?: unknown } | undefined;
}

/** xterm's FgFlags.UNDERLINE: the program's SGR 4, kept apart from the link's own underline style. */
const XTERM_FG_UNDERLINE = 0x10000000;
/** xterm's BgFlags.HAS_EXTENDED: the cell's extended attributes (underline style, link) are its own. */
const XTERM_BG_HAS_EXTENDED = 0x10000000;
/**
 * Links remembered per terminal (their Hyperlink objects, so cells of one link share one). xterm never reuses a
 * link number, so an entry never goes stale; the map is emptied past this many entries (a program printing
 * thousands of links), after which links are looked up again.
 */
const LINK_CACHE_ENTRIES_MAX = 4096;

const linkReaders = new WeakMap<Terminal, XtermLinks>();

/**
 * The link reader of `term` (verified against @xterm/headless 6.0.0 once per terminal): throws, naming what to
 * update, when xterm's private shape differs.
 */
export function xtermLinks(term: Terminal): XtermLinks {
  let reader = linkReaders.get(term);
  if (reader !== undefined) return reader;
  const service = (term as unknown as { _core?: { _oscLinkService?: XtermLinkServiceShape } })._core?._oscLinkService;
  const getLinkData = service?.getLinkData;
  if (typeof getLinkData !== 'function') throw internalsChanged('_core._oscLinkService.getLinkData is missing');
  const probe = term.buffer.active.getNullCell() as unknown as XtermCellShape;
  if (typeof probe.fg !== 'number' || typeof probe.bg !== 'number' || typeof probe.extended?.urlId !== 'number') {
    throw internalsChanged('a buffer cell lacks the number fields fg, bg and extended.urlId');
  }
  const cache = new Map<number, Hyperlink | null>();
  reader = {
    // A reused cell keeps the extended attributes of the last cell that had some: read them only when this one does.
    urlIdOf: (cell) => {
      const words = cell as unknown as { bg: number; extended: { urlId: number } };
      return (words.bg & XTERM_BG_HAS_EXTENDED) === 0 ? 0 : words.extended.urlId;
    },
    linkOf: (urlId) => {
      let link = cache.get(urlId);
      if (link === undefined) {
        const data = getLinkData.call(service, urlId);
        const uri = data?.uri;
        const id = data?.id;
        link = (typeof uri === 'string' && (id === undefined || typeof id === 'string') ? hyperlink(uri, id ?? '') : undefined) ?? null;
        if (cache.size >= LINK_CACHE_ENTRIES_MAX) cache.clear();
        cache.set(urlId, link);
      }
      return link ?? undefined;
    },
    programUnderlined: (cell) => ((cell as unknown as { fg: number }).fg & XTERM_FG_UNDERLINE) !== 0,
  };
  linkReaders.set(term, reader);
  return reader;
}

/**
 * xterm's extended attribute word (`cell.extended._ext`, verified against @xterm/headless 6.0.0): the underline colour
 * in bits 0–25 (value and mode as in an fg word), the underline style (SGR 4:N) in bits 26–28. Read raw because the
 * `underlineStyle` getter says 5 (dashed, its link style) for every linked cell, whatever the program chose.
 */
const XTERM_EXT_COLOR_MASK = 0x3ffffff;
const XTERM_EXT_STYLE_SHIFT = 26;
const XTERM_EXT_STYLE_MASK = 7;
/** What SGR 59 leaves in the colour bits: xterm stores −1, every bit set (so an RGB white underline reads the same). */
const XTERM_EXT_COLOR_RESET = XTERM_EXT_COLOR_MASK;
/** xterm's colour modes in an fg word or the extended colour bits (bits 24–25): the Framebuffer's COLOR_* numbers. */
const XTERM_COLOR_MODE_MASK = 0x3000000;
const XTERM_COLOR_RGB = 0x3000000;
const XTERM_COLOR_PALETTE_256 = 0x2000000;
const XTERM_PALETTE_INDEX_MASK = 0xff;
const SINGLE_UNDERLINE = Object.freeze({ style: 1, color: undefined });

/**
 * The underline style and colour of an underlined cell that has extended attributes (bg bit 28), as the Framebuffer
 * holds them: the style (1 single … 5 dashed; xterm's numbers are SGR's) and the colour (COLOR_PALETTE_256 or
 * COLOR_RGB, undefined for the default). Throws, naming what to update, when xterm's private shape differs.
 */
export function xtermUnderline(cell: IBufferCell): { style: number; color: number | undefined } {
  // A reused cell keeps the extended attributes of the last cell that had some: read them only when this one does.
  if (((cell as unknown as { bg: number }).bg & XTERM_BG_HAS_EXTENDED) === 0) return SINGLE_UNDERLINE;
  const ext = (cell as unknown as { extended?: { _ext?: unknown } }).extended?._ext;
  if (typeof ext !== 'number') throw internalsChanged('a buffer cell lacks the number field extended._ext');
  const style = Math.max(1, (ext >>> XTERM_EXT_STYLE_SHIFT) & XTERM_EXT_STYLE_MASK);
  const color = ext & XTERM_EXT_COLOR_MASK;
  const mode = color & XTERM_COLOR_MODE_MASK;
  // SGR 58 makes only 256-colour and RGB forms; anything else is the default. A 256-colour index is the low byte
  // (xterm leaves an earlier RGB value's upper bits behind it, and reads only the byte, as it does in fg words).
  let read: number | undefined;
  if (color === XTERM_EXT_COLOR_RESET) read = undefined;
  else if (mode === XTERM_COLOR_RGB) read = color;
  else if (mode === XTERM_COLOR_PALETTE_256) read = XTERM_COLOR_PALETTE_256 | (color & XTERM_PALETTE_INDEX_MASK);
  return { style: Math.min(style, 5), color: read };
}
