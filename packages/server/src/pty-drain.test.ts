import { execFileSync } from 'node:child_process';
import { closeSync, constants as fsConstants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drainWaiting, MAX_DRAIN_BYTES, readWaiting } from './pty-drain.js';

/** A FIFO opened non-blocking at both ends: what a pty's master is to the daemon, with a pipe's larger reads. */
let folder: string;
let reader: number;
let writer: number;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'tsmosh-drain-'));
  const path = join(folder, 'fifo');
  execFileSync('mkfifo', [path]);
  reader = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  writer = openSync(path, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
});
afterEach(() => {
  closeSync(reader);
  try {
    closeSync(writer);
  } catch {
    // closed by the test
  }
  rmSync(folder, { recursive: true, force: true });
});

const pattern = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
const joined = (chunks: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const c of chunks) (out.set(c, at), (at += c.length));
  return out;
};

describe('drainWaiting', () => {
  it('reads what waits, in order and in chunks of their own, up to its bound, and stops when nothing is left', () => {
    const written = pattern(40_000);
    expect(writeSync(writer, written)).toBe(written.length);
    const chunks: Uint8Array[] = [];
    const take = (chunk: Uint8Array): boolean => (chunks.push(chunk), true);
    // Stopped by its bound: whether more waits is not known.
    expect(drainWaiting(reader, take, 10_000)).toEqual({ bytes: 10_000, emptied: false });
    // Read to the end: the read after the last found nothing, so the program had written no more.
    expect(drainWaiting(reader, take)).toEqual({ bytes: 30_000, emptied: true });
    // Nothing waits now (EAGAIN): no bytes, no chunk, no error.
    expect(drainWaiting(reader, take)).toEqual({ bytes: 0, emptied: true });
    expect(joined(chunks)).toEqual(written);
    // Each chunk is a copy: the scratch buffer the reads share is not handed out.
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(chunks.length);
  });

  it('stops when the reader says its backlog is full, and at its bound by default', () => {
    writeSync(writer, pattern(50_000));
    const chunks: Uint8Array[] = [];
    const first = drainWaiting(reader, (chunk) => (chunks.push(chunk), false)).bytes;
    expect(chunks).toHaveLength(1);
    expect(first).toBe(chunks[0]!.length);
    expect(first).toBeLessThan(50_000);
    expect(drainWaiting(reader, () => true).bytes).toBe(50_000 - first);
    expect(MAX_DRAIN_BYTES).toBe(64 * 1024);
  });

  it('ends quietly when the other side has closed (end of file) and on a descriptor that fails', () => {
    writeSync(writer, pattern(100));
    closeSync(writer);
    expect(drainWaiting(reader, () => true).bytes).toBe(100);
    expect(drainWaiting(reader, () => true).bytes).toBe(0);
    expect(drainWaiting(-1, () => true).bytes).toBe(0);
  });
});

describe('readWaiting', () => {
  it('reads what waits into one chunk, in order, up to its bound, and says whether the last read found it all', () => {
    const written = pattern(100_000);
    expect(writeSync(writer, written.subarray(0, 60_000))).toBe(60_000);
    const parts: Uint8Array[] = [];
    const bounded = readWaiting(reader, 10_000);
    expect(bounded.data.length).toBe(10_000);
    expect(bounded.emptied).toBe(false);
    parts.push(bounded.data);
    const rest = readWaiting(reader);
    expect(rest).toMatchObject({ emptied: true });
    expect(rest.data.length).toBe(50_000);
    parts.push(rest.data);
    // Its bound is the drain's, whatever is asked.
    expect(writeSync(writer, written.subarray(60_000))).toBe(40_000);
    const capped = readWaiting(reader, 1 << 20);
    parts.push(capped.data);
    expect(capped.data.length).toBe(40_000);
    expect(readWaiting(reader)).toEqual({ data: new Uint8Array(0), emptied: true });
    expect(joined(parts)).toEqual(written);
    // A copy: the next read does not overwrite what was handed on.
    expect(parts[1]!.buffer).not.toBe(parts[2]!.buffer);
  });

  it('ends quietly at end of file and on a descriptor that fails', () => {
    writeSync(writer, pattern(100));
    closeSync(writer);
    expect(readWaiting(reader).data.length).toBe(100);
    expect(readWaiting(reader)).toEqual({ data: new Uint8Array(0), emptied: true });
    expect(readWaiting(-1)).toEqual({ data: new Uint8Array(0), emptied: true });
  });
});
