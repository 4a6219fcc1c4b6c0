import { describe, expect, it } from 'vitest';
import { BLANK_CELL, blankFramebuffer, plainLogLine, ScrollbackLog, type Framebuffer } from '@tsmosh/terminal';
import { outputModeFor } from './output-mode.js';
import { TextOutput } from './text-output.js';

const line = (text: string) => plainLogLine(text.length, false, [...text].map((c) => c.charCodeAt(0)));

function screenOf(texts: readonly string[], alternateScreen = false): Framebuffer {
  const blank = blankFramebuffer(10, 4);
  const lines = blank.lines.map((row, y) => (texts[y] === undefined ? row : { cells: [...texts[y]!].map((text) => ({ ...BLANK_CELL, text })).concat(Array(10 - texts[y]!.length).fill(BLANK_CELL)), wrapped: false }));
  return { ...blank, lines, cursor: { ...blank.cursor, x: 0, y: texts.length }, alternateScreen };
}

function collector(): { out: TextOutput; text: string[]; notices: string[] } {
  const text: string[] = [];
  const notices: string[] = [];
  return { out: new TextOutput({ text: (chunk) => text.push(chunk), notice: (l) => notices.push(l) }), text, notices };
}

describe('TextOutput', () => {
  it('writes the history as it comes and the final screen at the end; lost lines are a notice, not text', () => {
    const { out, text, notices } = collector();
    const log = ScrollbackLog.empty.append(['one', 'two', 'three', 'four'].map(line), 2);
    out.update(log);
    expect(text).toEqual(['three\nfour\n']);
    expect(notices).toEqual([expect.stringMatching(/^tsmosh: 2 lines of output lost here/)]);
    out.finish(log, screenOf(['five']));
    expect(text.join('')).toBe('three\nfour\nfive\n');
    expect(out.dropped).toBe(2);
  });

  it('says on stderr that the session ended on an alternate screen, whose text it does not write', () => {
    const { out, text, notices } = collector();
    out.finish(ScrollbackLog.empty, screenOf(['vim'], true));
    expect(text).toEqual([]);
    expect(notices).toEqual([expect.stringContaining('alternate screen')]);
  });

  it('--output auto is text unless standard output is a terminal', () => {
    expect(outputModeFor(undefined, { isTTY: true })).toBe('terminal');
    expect(outputModeFor('auto', {})).toBe('text');
    expect(outputModeFor('terminal', {})).toBe('terminal');
    expect(outputModeFor('text', { isTTY: true })).toBe('text');
  });
});
