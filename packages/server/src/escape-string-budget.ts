/**
 * Bounds on the escape strings (OSC, DCS) a session's mirror will hold.
 *
 * @xterm/headless buffers an OSC or DCS payload for its handlers up to 10 million characters (its PAYLOAD_LIMIT), one
 * buffer per handler, and keeps titles whole: a program that prints a 5 MB title or a 3 MB OSC 52 copy by accident
 * (a `cat` of a binary file) swelled the shared daemon by hundreds of MB, and four sessions at once past 1 GB, where an
 * out-of-memory kill ends every user's session. This module meters each string's payload as xterm's own parser
 * delivers it (so what counts as a string, and where it ends, is exactly xterm's reading) and abandons a string the
 * moment it passes its budget: its handlers are ended unsuccessfully (their buffers freed) and the rest of it is
 * skipped unbuffered. The program's later output is untouched.
 *
 * xterm hands the sub-parsers at most one parse slice (131,072 code points) at a time, so a handler may briefly hold
 * one slice beyond its budget before the string is abandoned.
 */
import type { Terminal } from '@xterm/headless';

/** Payload budgets, in code points (the unit xterm's parser counts). */
export interface EscapeStringBudgets {
  /** OSC 0, 1 and 2 (window and icon titles). */
  readonly title: number;
  /** OSC 52 (clipboard writes), base64 text. */
  readonly clipboard: number;
  /** Every other OSC (hyperlinks, notifications, colours, working directory). */
  readonly otherOsc: number;
  /** DCS strings (DECRQSS, XTGETTCAP, passthrough). */
  readonly dcs: number;
}

export const DEFAULT_ESCAPE_STRING_BUDGETS: EscapeStringBudgets = Object.freeze({
  // 4 Ki: far beyond any title a terminal shows (tab bars cut at ~100 columns); xterm itself keeps the whole string.
  title: 4 * 1024,
  // 1 Mi of base64 (≈ 768 KiB copied): a large copy from vim or tmux fits; the snapshot drops longer ones anyway.
  clipboard: 1024 * 1024,
  // 64 Ki: an OSC 8 URL, an OSC 9/777/99 notification or an OSC 7 path is a few hundred characters at most.
  otherOsc: 64 * 1024,
  // 64 Ki: the DCS requests xterm answers are a few bytes; tsmosh draws no sixel or image payloads.
  dcs: 64 * 1024,
});

/** What the budgets turned away, for the daemon's status. */
export interface EscapeStringDrops {
  /** OSC strings abandoned for passing their budget. */
  oscStrings: number;
  /** DCS strings abandoned for passing their budget. */
  dcsStrings: number;
}

/**
 * Installs the budgets on `term`'s parser and returns the live drop counters. Throws, naming what to update, when
 * xterm's private parser shape differs from the one verified (@xterm/headless 6.0).
 */
export function limitEscapeStrings(term: Terminal, budgets: EscapeStringBudgets = DEFAULT_ESCAPE_STRING_BUDGETS): Readonly<EscapeStringDrops> {
  const parser = (term as unknown as { _core?: { _inputHandler?: { _parser?: XtermParserShape } } })._core?._inputHandler?._parser;
  const osc = parser?._oscParser;
  const dcs = parser?._dcsParser;
  if (
    osc === undefined ||
    dcs === undefined ||
    typeof osc.start !== 'function' ||
    typeof osc.put !== 'function' ||
    typeof osc.reset !== 'function' ||
    typeof osc._state !== 'number' ||
    typeof dcs.hook !== 'function' ||
    typeof dcs.put !== 'function' ||
    typeof dcs.reset !== 'function'
  ) {
    throw new Error(
      'tsmosh-server: @xterm/headless internals changed (_core._inputHandler._parser._oscParser/_dcsParser); update escape-string-budget.ts for this xterm version',
    );
  }
  const drops: EscapeStringDrops = { oscStrings: 0, dcsStrings: 0 };
  const oscBudget = (id: number): number => (id === 0 || id === 1 || id === 2 ? budgets.title : id === 52 ? budgets.clipboard : budgets.otherOsc);

  let oscLength = 0;
  const startOsc = osc.start.bind(osc);
  const putOsc = osc.put.bind(osc);
  osc.start = () => {
    oscLength = 0;
    startOsc();
  };
  osc.put = (data, start, end) => {
    if (osc._state === OSC_STATE_ABORT) return; // abandoned (or malformed): xterm skips it too
    const wasReadingId = osc._state === OSC_STATE_ID;
    putOsc(data, start, end);
    // Only the payload counts: while the identifier is read, what follows its ';' is the first payload.
    let payloadStart = start;
    if (wasReadingId) {
      while (payloadStart < end && data[payloadStart] !== SEMICOLON) payloadStart++;
      payloadStart++;
    }
    oscLength += Math.max(0, end - payloadStart);
    if (osc._state === OSC_STATE_PAYLOAD && oscLength > oscBudget(osc._id ?? -1)) {
      osc.reset(); // ends the handlers unsuccessfully: their buffers go
      osc._state = OSC_STATE_ABORT; // the rest of the string is skipped until its terminator
      drops.oscStrings++;
    }
  };

  let dcsLength = 0;
  let dcsAbandoned = false;
  const hookDcs = dcs.hook.bind(dcs);
  const putDcs = dcs.put.bind(dcs);
  dcs.hook = (ident, params) => {
    dcsLength = 0;
    dcsAbandoned = false;
    hookDcs(ident, params);
  };
  dcs.put = (data, start, end) => {
    if (dcsAbandoned) return;
    dcsLength += end - start;
    if (dcsLength > budgets.dcs) {
      dcs.reset(); // unhooks the handlers unsuccessfully: their buffers go
      dcsAbandoned = true;
      drops.dcsStrings++;
      return;
    }
    putDcs(data, start, end);
  };
  return drops;
}

// xterm's OscState (src/common/parser/Constants.ts), a const enum that does not exist at run time.
const OSC_STATE_ID = 1;
const OSC_STATE_PAYLOAD = 2;
const SEMICOLON = 0x3b;
const OSC_STATE_ABORT = 3;

type PutFunction = (data: Uint32Array, start: number, end: number) => void;

interface XtermParserShape {
  _oscParser?: { start: () => void; put: PutFunction; reset: () => void; _state: number; _id?: number };
  _dcsParser?: { hook: (ident: number, params: unknown) => void; put: PutFunction; reset: () => void };
}
