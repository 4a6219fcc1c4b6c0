/**
 * Bounds on the counts in control sequences.
 *
 * @xterm/headless does the work a count asks for one unit at a time: `CSI 999999999 b` (REP) allocates four bytes
 * per repeat and prints them, and `CSI n L`/`M`/`S`/`T` (insert, delete, scroll lines), `CSI n Z` (back tab) and the
 * column shifts loop n times even though the screen holds at most `rows` lines and `cols` columns. One such
 * sequence in a file a user `cat`s froze the shared daemon, and so every session, for minutes (the class of mosh's
 * CVE-2012-2385). Every count beyond what the screen can show has the same visible effect as the screen's size,
 * so each is cut to that before xterm acts on it: lines to `rows`, columns and tab stops to `cols`, repeats to
 * `rows × cols`. (A repeat or scroll that large would also push that many lines into the history; the cut keeps
 * at most a screenful, a difference no one can miss but nobody wants.)
 *
 * The cut sits on xterm's input handler methods, which its parser calls through `this` (private API, checked):
 * the parameter is lowered in place in the parser's own Params, then the original method runs.
 */
import type { Terminal } from '@xterm/headless';

interface ParamsShape {
  params: Int32Array;
  length: number;
}

type Handler = (params: ParamsShape) => boolean;

/** Each counted sequence's handler method (xterm's name) and the largest count that can still change the screen. */
const COUNTED: ReadonlyArray<readonly [string, (cols: number, rows: number) => number]> = [
  ['repeatPrecedingCharacter', (cols, rows) => cols * rows],
  ['insertLines', (_cols, rows) => rows],
  ['deleteLines', (_cols, rows) => rows],
  ['scrollUp', (_cols, rows) => rows],
  ['scrollDown', (_cols, rows) => rows],
  ['cursorForwardTab', (cols) => cols],
  ['cursorBackwardTab', (cols) => cols],
  ['scrollLeft', (cols) => cols],
  ['scrollRight', (cols) => cols],
  ['insertColumns', (cols) => cols],
  ['deleteColumns', (cols) => cols],
];

/** Installs the cuts on `term`'s input handler. Throws, naming what to update, if xterm's shape changed. */
export function limitSequenceCounts(term: Terminal): void {
  const handler = (term as unknown as { _core?: { _inputHandler?: Record<string, unknown> } })._core?._inputHandler;
  for (const [name, largest] of COUNTED) {
    const original = handler?.[name];
    if (typeof original !== 'function') {
      throw new Error(`@xterm/headless internals changed: _core._inputHandler.${name} is missing; update packages/server/src/count-budget.ts`);
    }
    const bound = (original as Handler).bind(handler);
    handler![name] = (params: ParamsShape): boolean => {
      if (params.length > 0) {
        const limit = largest(term.cols, term.rows);
        if (params.params[0]! > limit) params.params[0] = limit;
      }
      return bound(params);
    };
  }
}
