import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTraceLine } from '@tsmosh/protocol';
import { harnessTraceFrom } from './harness-trace.js';

describe('the harness trace', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('is off without TSMOSH_TRACE', () => {
    expect(harnessTraceFrom({})).toBeUndefined();
    expect(harnessTraceFrom({ TSMOSH_TRACE: '' })).toBeUndefined();
  });

  it("writes the harness's moments on the ends' epoch scale", () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-trace-'));
    dirs.push(dir);
    const file = join(dir, 'trace');
    const trace = harnessTraceFrom({ TSMOSH_TRACE: file })!;
    trace.typed(1000, 'enter');
    trace.shown(1004.25, 7);
    // Kept in memory until marks are quiet (latency-trace.ts); a flush writes them now.
    expect(existsSync(file)).toBe(false);
    trace.flush();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map(parseTraceLine);
    expect(lines.map((l) => [l!.side, l!.step, l!.detail])).toEqual([
      ['bench', 'typed', 'enter'],
      ['bench', 'shown', '7'],
    ]);
    expect(lines[0]!.at).toBeCloseTo(performance.timeOrigin + 1000, 2);
    expect(lines[1]!.at - lines[0]!.at).toBeCloseTo(4.25, 2);
  });
});
