import { describe, expect, it } from 'vitest';
import type { Terminal } from '@xterm/headless';
import { createHeadlessTerminal } from './headless-mirror.js';
import { DEFAULT_ESCAPE_STRING_BUDGETS, limitEscapeStrings, type EscapeStringBudgets } from './escape-string-budget.js';

const small: EscapeStringBudgets = { title: 100, clipboard: 1000, otherOsc: 200, dcs: 300 };

function write(term: Terminal, data: string): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

/**
 * A raw sub-parser handler on `ident` (as xterm's own buffered handlers are) that records the most payload it was
 * ever handed for one string: what a buffering handler would have held.
 */
function watchOsc(term: Terminal, ident: number): { maxHeld: number; ended: Array<boolean> } {
  const watch = { maxHeld: 0, ended: [] as boolean[] };
  let held = 0;
  const osc = (term as unknown as { _core: { _inputHandler: { _parser: { _oscParser: { registerHandler(id: number, h: unknown): void } } } } })._core._inputHandler._parser._oscParser;
  osc.registerHandler(ident, {
    start: () => (held = 0),
    put: (_data: Uint32Array, start: number, end: number) => {
      held += end - start;
      watch.maxHeld = Math.max(watch.maxHeld, held);
    },
    end: (success: boolean) => {
      watch.ended.push(success);
      return false;
    },
  });
  return watch;
}

describe('limitEscapeStrings', () => {
  it('passes strings within budget through untouched: a title, an OSC 8 link, a DECRQSS request', async () => {
    const term = createHeadlessTerminal({ cols: 40, rows: 5 });
    const drops = limitEscapeStrings(term, small);
    const titles: string[] = [];
    term.onTitleChange((title) => titles.push(title));
    const replies: string[] = [];
    term.onData((data) => replies.push(data));
    await write(term, `\x1b]2;${'t'.repeat(100)}\x07`);
    await write(term, '\x1b]8;;https://example.invalid/\x1b\\link\x1b]8;;\x1b\\');
    await write(term, '\x1bP$qm\x1b\\');
    expect(titles).toEqual(['t'.repeat(100)]);
    expect(replies.join('')).toMatch(/\x1bP1\$r.*m\x1b\\/);
    expect(term.buffer.active.getLine(0)!.translateToString(true)).toBe('link');
    expect(drops).toEqual({ oscStrings: 0, dcsStrings: 0 });
  });

  it('abandons a title past its budget, keeps the old title, and prints what follows normally', async () => {
    const term = createHeadlessTerminal({ cols: 40, rows: 5 });
    const drops = limitEscapeStrings(term, small);
    const titles: string[] = [];
    term.onTitleChange((title) => titles.push(title));
    const watch = watchOsc(term, 2);
    await write(term, '\x1b]2;before\x07');
    await write(term, `\x1b]2;${'x'.repeat(5000)}\x07after`);
    expect(titles).toEqual(['before']);
    expect(drops.oscStrings).toBe(1);
    expect(watch.ended).toEqual([true, false]); // the oversize one was ended unsuccessfully
    expect(term.buffer.active.getLine(0)!.translateToString(true)).toBe('after');
    await write(term, '\x1b]2;next\x07');
    expect(titles).toEqual(['before', 'next']);
  });

  it('never lets a handler hold more than the budget plus one parse slice, however the string is chunked', async () => {
    const term = createHeadlessTerminal({ cols: 40, rows: 5 });
    const drops = limitEscapeStrings(term); // the defaults
    const watch = watchOsc(term, 52);
    const slice = 131_072; // xterm's MAX_PARSEBUFFER_LENGTH
    // A 3 MB OSC 52 copy, as the attack that took a daemon from 66 to 194 MB, in pty-sized chunks and in one piece.
    const payload = 'A'.repeat(3 * 1024 * 1024);
    await write(term, '\x1b]52;c;');
    for (let i = 0; i < payload.length; i += 4096) await write(term, payload.slice(i, i + 4096));
    await write(term, '\x07');
    await write(term, `\x1b]52;c;${payload}\x1b\\done`);
    expect(drops.oscStrings).toBe(2);
    expect(watch.maxHeld).toBeLessThanOrEqual(DEFAULT_ESCAPE_STRING_BUDGETS.clipboard + slice);
    expect(term.buffer.active.getLine(0)!.translateToString(true)).toBe('done');
  });

  it('counts 8-bit C1 introducers (U+009D, U+0090) as xterm does', async () => {
    const term = createHeadlessTerminal({ cols: 40, rows: 5 });
    const drops = limitEscapeStrings(term, small);
    await write(term, `\u009d2;${'y'.repeat(1000)}\u009cok`);
    await write(term, `\u0090$q${'z'.repeat(1000)}\u009cfine`);
    expect(drops).toEqual({ oscStrings: 1, dcsStrings: 1 });
    expect(term.buffer.active.getLine(0)!.translateToString(true)).toBe('okfine');
  });

  it('abandons an oversize DCS without answering it, and answers the next one', async () => {
    const term = createHeadlessTerminal({ cols: 40, rows: 5 });
    const drops = limitEscapeStrings(term, small);
    const replies: string[] = [];
    term.onData((data) => replies.push(data));
    await write(term, `\x1bP$q${'m'.repeat(1000)}\x1b\\`);
    expect(replies).toEqual([]);
    expect(drops.dcsStrings).toBe(1);
    await write(term, '\x1bP$qm\x1b\\');
    expect(replies.join('')).toMatch(/\x1bP1\$r.*m\x1b\\/);
  });
});
