/**
 * OSC 8 hyperlinks as screen state: which link a cell belongs to, and the table of a screen's distinct links.
 *
 * A cell refers to a Hyperlink object; cells of one link share that object, so a URL is held once per screen however
 * many cells it covers. A screen's link table is not stored beside its rows: it is derived from them (cached per Row
 * and per row array, so an unchanged row is never scanned twice), which keeps it true by construction for every
 * framebuffer anyone builds. The table is sorted (by URI, then id, in UTF-16 code unit order), so both ends of a
 * connection derive the same table, and the same index for a link, from the same screen; the screen diff sends
 * the table's changes and cells refer to links by their index in it (screen-diff.ts).
 */
import type { Cell, Row } from './framebuffer.js';

export interface Hyperlink {
  /** The link's target exactly as the program sent it (OSC 8 ; params ; URI). */
  readonly uri: string;
  /**
   * The `id=` parameter, '' when none: cells with the same URI and id are one link to the terminal (hovered and
   * underlined together) even when they are not adjacent, as a link split across rows by a TUI's layout.
   */
  readonly id: string;
}

/**
 * Longest URI a link may carry, in UTF-8 bytes. The server's escape-string budget lets an OSC reach 64 Ki code
 * points, and a screen of such links would cost megabytes per diff; 4 KiB is twice the 2083 bytes VTE (GNOME
 * Terminal) accepts, so every link a common terminal shows fits. A longer one is shown as plain text.
 */
export const MAX_LINK_URI_BYTES = 4096;
/** Longest `id=` value, in UTF-8 bytes: ids are short tokens a program makes up to join a link's pieces. */
export const MAX_LINK_ID_BYTES = 256;
/**
 * Most distinct links one screen may hold. `ls --hyperlink` in a 200x60 window shows a few hundred names, Claude
 * Code's banner one or two; 1024 covers real screens while bounding the table a diff may make the client build.
 * Links beyond it (in reading order) are shown as plain text.
 */
export const MAX_SCREEN_LINKS = 1024;
/**
 * Most bytes (URIs and ids, UTF-8) one screen's link table may hold: 256 KiB, so the worst table a screen can send
 * (1024 links of 4 KiB would be 4 MiB) stays the size of a few full screens of coloured text.
 */
export const MAX_SCREEN_LINK_BYTES = 256 * 1024;

/** UTF-8 length without allocating (a lone surrogate counts 3, as TextEncoder writes U+FFFD). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Bytes a link costs in a screen's table (its URI and id, UTF-8). */
export function linkBytes(link: Hyperlink): number {
  return utf8Length(link.uri) + utf8Length(link.id);
}

/** C0, DEL and C1 controls: inside an OSC they would end it early or be commands to the local terminal. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Lone surrogates: not text, and not encodable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a link cannot be part of a screen (undefined when it can): an empty URI (that closes a link), controls or
 * lone surrogates, a URI or id over its byte limit, or an id holding the parameter separators ':' or ';'.
 */
export function linkProblem(uri: string, id: string): string | undefined {
  if (uri === '') return 'its URI is empty';
  if (CONTROL.test(uri) || LONE_SURROGATE.test(uri)) return 'its URI holds control characters or lone surrogates';
  if (utf8Length(uri) > MAX_LINK_URI_BYTES) return `its URI is longer than ${MAX_LINK_URI_BYTES} bytes`;
  if (CONTROL.test(id) || LONE_SURROGATE.test(id) || /[:;]/.test(id)) return "its id holds control characters, ':' or ';'";
  if (utf8Length(id) > MAX_LINK_ID_BYTES) return `its id is longer than ${MAX_LINK_ID_BYTES} bytes`;
  return undefined;
}

/** A link value (frozen); undefined when linkProblem refuses it, so a cell shows plain text instead. */
export function hyperlink(uri: string, id = ''): Hyperlink | undefined {
  return linkProblem(uri, id) === undefined ? Object.freeze({ uri, id }) : undefined;
}

export function linksEqual(a: Hyperlink | undefined, b: Hyperlink | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.uri === b.uri && a.id === b.id);
}

/** The table's order: by URI, then id, comparing UTF-16 code units (what both ends' JavaScript compares). */
export function compareLinks(a: Hyperlink, b: Hyperlink): number {
  if (a.uri !== b.uri) return a.uri < b.uri ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

/**
 * The OSC 8 that makes a terminal link what it prints next to `link`, or stop linking (undefined). Terminated by
 * ST, the terminator ECMA-48 defines (every terminal that knows OSC 8 takes it; BEL would save a byte, not all do).
 * The link must be one linkProblem accepts (the renderer's rows are sanitized): nothing in it can end the OSC.
 */
export function linkSequence(link: Hyperlink | undefined): string {
  if (link === undefined) return '\x1b]8;;\x1b\\';
  return `\x1b]8;${link.id === '' ? '' : `id=${link.id}`};${link.uri}\x1b\\`;
}

const NO_LINKS: readonly Hyperlink[] = Object.freeze([]);

/** Sorted distinct links of `links` (by compareLinks), the first object of each value kept. */
function sortedDistinct(links: Hyperlink[]): readonly Hyperlink[] {
  if (links.length === 0) return NO_LINKS;
  links.sort(compareLinks);
  const out: Hyperlink[] = [links[0]!];
  for (let i = 1; i < links.length; i++) if (compareLinks(out[out.length - 1]!, links[i]!) !== 0) out.push(links[i]!);
  return Object.freeze(out);
}

const rowLinkCache = new WeakMap<readonly Cell[], readonly Hyperlink[]>();

/** The distinct links a row's cells carry, sorted; cached per cell array (rows are immutable). */
export function rowLinks(row: Row): readonly Hyperlink[] {
  const cells = row.cells;
  let links = rowLinkCache.get(cells);
  if (links === undefined) {
    let found: Hyperlink[] | undefined;
    let last: Hyperlink | undefined;
    for (const cell of cells) {
      const link = cell.link;
      if (link === undefined || link === last) continue;
      last = link;
      (found ??= []).push(link);
    }
    links = found === undefined ? NO_LINKS : sortedDistinct(found);
    rowLinkCache.set(cells, links);
  }
  return links;
}

const tableCache = new WeakMap<readonly Row[], readonly Hyperlink[]>();

/**
 * A screen's link table: the distinct links its cells carry, sorted by compareLinks. Cached per row array; each
 * row is scanned once in its life (rowLinks), so a frame costs one lookup per row.
 */
export function screenLinkTable(lines: readonly Row[]): readonly Hyperlink[] {
  let table = tableCache.get(lines);
  if (table === undefined) {
    let found: Hyperlink[] | undefined;
    for (const row of lines) {
      const links = rowLinks(row);
      if (links.length > 0) (found ??= []).push(...links);
    }
    table = found === undefined ? NO_LINKS : sortedDistinct(found);
    tableCache.set(lines, table);
  }
  return table;
}

/** Whether a table is within MAX_SCREEN_LINKS and MAX_SCREEN_LINK_BYTES. */
function linkTableFits(table: readonly Hyperlink[]): boolean {
  if (table.length > MAX_SCREEN_LINKS) return false;
  let bytes = 0;
  for (const link of table) bytes += linkBytes(link);
  return bytes <= MAX_SCREEN_LINK_BYTES;
}

/**
 * `lines` itself when its link table fits (linkTableFits); otherwise rows whose links past the budget (in reading
 * order, first come first kept) are removed from their cells, which then show plain text. Rows left unchanged are
 * the same objects.
 */
export function capScreenLinks(lines: readonly Row[]): readonly Row[] {
  if (linkTableFits(screenLinkTable(lines))) return lines;
  const kept = new Set<string>();
  let bytes = 0;
  const key = (link: Hyperlink): string => `${link.id}\u0000${link.uri}`;
  const keep = (link: Hyperlink): boolean => {
    const k = key(link);
    if (kept.has(k)) return true;
    const cost = linkBytes(link);
    if (kept.size >= MAX_SCREEN_LINKS || bytes + cost > MAX_SCREEN_LINK_BYTES) return false;
    kept.add(k);
    bytes += cost;
    return true;
  };
  return Object.freeze(
    lines.map((row) => {
      if (rowLinks(row).length === 0) return row;
      let cells: Cell[] | undefined;
      row.cells.forEach((cell, x) => {
        if (cell.link === undefined || keep(cell.link)) return;
        cells ??= row.cells.slice();
        cells[x] = withoutLink(cell);
      });
      return cells === undefined ? row : Object.freeze({ cells: Object.freeze(cells), wrapped: row.wrapped });
    }),
  );
}

/** The cell without its link (a new object; every other field kept). */
function withoutLink(cell: Cell): Cell {
  const { link: _link, ...rest } = cell;
  return Object.freeze(rest);
}
