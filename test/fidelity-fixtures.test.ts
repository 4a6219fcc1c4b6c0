// Replays every escape-sequence fixture in test/fixtures/screens through HeadlessMirror and checks the hand-written
// expected screen: text per row, soft wraps, chosen cells' text/width/colours/attributes, cursor, modes, title.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { framebuffersEqual, type Framebuffer } from '@tsmosh/terminal';
import { HeadlessMirror } from '@tsmosh/server';
import { attrNames, colorName, describeCell, framebufferProblems, screenText } from './fidelity-support.js';

interface ExpectedCell {
  at: [number, number];
  text?: string;
  width?: number;
  fg?: string;
  bg?: string;
  attrs?: string[];
}

interface ExpectedScreen {
  description: string;
  cols: number;
  rows: number;
  resize?: { cols: number; rows: number };
  text: string[];
  wrappedRows?: number[];
  cells?: ExpectedCell[];
  cursor?: Partial<Framebuffer['cursor']>;
  modes?: Partial<Framebuffer['modes']>;
  title?: string;
  alternateScreen?: boolean;
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'screens');
const names = readdirSync(dir)
  .filter((f) => /^\d{4}-.+\.json$/.test(f))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

async function replay(input: Uint8Array, spec: ExpectedScreen, chunkSizes: (i: number) => number): Promise<Framebuffer> {
  const mirror = new HeadlessMirror({ cols: spec.cols, rows: spec.rows, onReply: () => {} });
  try {
    for (let offset = 0, i = 0; offset < input.length; i++) {
      const size = Math.max(1, chunkSizes(i));
      await mirror.write(input.subarray(offset, offset + size));
      offset += size;
    }
    if (spec.resize) mirror.resize(spec.resize.cols, spec.resize.rows);
    return mirror.snapshot();
  } finally {
    mirror.dispose();
  }
}

function check(fb: Framebuffer, spec: ExpectedScreen): void {
  expect(framebufferProblems(fb)).toEqual([]);
  expect([fb.cols, fb.rows]).toEqual([spec.resize?.cols ?? spec.cols, spec.resize?.rows ?? spec.rows]);
  expect(screenText(fb)).toEqual(spec.text);
  const wrapped = fb.lines.flatMap((row, y) => (row.wrapped ? [y] : []));
  expect(wrapped).toEqual(spec.wrappedRows ?? []);
  for (const want of spec.cells ?? []) {
    const [x, y] = want.at;
    const cell = fb.lines[y]!.cells[x]!;
    const got: Record<string, unknown> = {};
    const wanted: Record<string, unknown> = {};
    if (want.text !== undefined) [got.text, wanted.text] = [cell.text, want.text];
    if (want.width !== undefined) [got.width, wanted.width] = [cell.width, want.width];
    if (want.fg !== undefined) [got.fg, wanted.fg] = [colorName(cell.fg), want.fg];
    if (want.bg !== undefined) [got.bg, wanted.bg] = [colorName(cell.bg), want.bg];
    if (want.attrs !== undefined) [got.attrs, wanted.attrs] = [attrNames(cell.attrs), want.attrs];
    expect(got, `cell ${x},${y} is ${describeCell(cell)}`).toEqual(wanted);
  }
  if (spec.cursor) expect(fb.cursor).toMatchObject(spec.cursor);
  if (spec.modes) expect(fb.modes).toMatchObject(spec.modes);
  if (spec.title !== undefined) expect(fb.title).toBe(spec.title);
  if (spec.alternateScreen !== undefined) expect(fb.alternateScreen).toBe(spec.alternateScreen);
}

describe('screen fixtures through HeadlessMirror', () => {
  it('has a corpus, and every fixture has both its input and its expected screen', () => {
    expect(names.length).toBeGreaterThanOrEqual(19);
    for (const name of names) expect(readFileSync(join(dir, `${name}.in`)).length, name).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(name, async () => {
      const spec = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as ExpectedScreen;
      const input = new Uint8Array(readFileSync(join(dir, `${name}.in`)));
      const whole = await replay(input, spec, () => input.length);
      check(whole, spec);
      // Byte at a time: sequences and UTF-8 split everywhere must give the same screen.
      const bytewise = await replay(input, spec, () => 1);
      expect(framebuffersEqual(bytewise, whole)).toBe(true);
    });
  }
});
