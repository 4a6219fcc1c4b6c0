/**
 * What xterm.js keeps only in private fields (cursor visibility, DECSCUSR shape and blink, the mouse encoding), and
 * patches for its parser's defects. Every access to its private state lives here, so an xterm upgrade breaks one
 * module and its test, loudly.
 */
import type { Terminal } from '@xterm/headless';
import type { CursorStyle, MouseEncoding } from '@tsmosh/terminal';
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
      `from xterm's private fields (public API lacks them); update readXtermInternals in packages/server/src/snapshot.ts ` +
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
