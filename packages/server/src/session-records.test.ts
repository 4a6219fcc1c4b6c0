import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScreenState, ScrollbackLog, type Row } from '@tsmosh/terminal';
import { SessionRecordStore, parseRecord, resolveStateDir, type SessionRecord } from './session-records.js';
import { sessionRecord } from './session-records.test-helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsmosh-records-'));
  dirs.push(dir);
  return dir;
}

const record = (name: string, extra: Partial<SessionRecord> = {}): SessionRecord => sessionRecord({ name, ...extra });

const row = (text: string): Row => ({ cells: [...text].map((ch) => ({ text: ch, width: 1 as const, fg: 0, bg: 0, attrs: 0 })), wrapped: false });

describe('SessionRecordStore', () => {
  it('keeps a record and its screen with history, owner-only, and reads them back', () => {
    const state = scratch();
    const store = new SessionRecordStore(join(state, 'nested', 'tsmosh'));
    const screen = new ScreenState(ScreenState.initial(10, 3).framebuffer, 0, undefined, ScrollbackLog.empty.append([row('old line')]));
    store.save(record('cc'), screen);
    const found = store.load('cc');
    expect(found).toBeDefined();
    if (found === undefined || !('loaded' in found)) throw new Error(`not loaded: ${JSON.stringify(found)}`);
    expect(found.loaded.record).toEqual(record('cc'));
    expect(found.loaded.screen?.scrollback.linesFrom(0).map((r) => r.cells.map((c) => c.text).join(''))).toEqual(['old line']);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(store.dir, '..')).mode & 0o777).toBe(0o700);
    expect(statSync(join(store.dir, 'cc.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(store.dir, 'cc.screen')).mode & 0o777).toBe(0o600);
    expect(store.names()).toEqual(['cc']);
    expect(store.readRecord('cc')).toEqual({ record: record('cc') });
    expect(store.forget('cc')).toBe(true);
    expect(store.forget('cc')).toBe(false);
    expect(store.load('cc')).toBeUndefined();
    expect(store.names()).toEqual([]);
  });

  it('updates the record alone when no screen is given, keeping the screen saved before', () => {
    const store = new SessionRecordStore(scratch());
    store.save(record('a'), ScreenState.initial(5, 2));
    store.save(record('a', { lastDirectory: '/tmp' }));
    const found = store.load('a');
    if (found === undefined || !('loaded' in found)) throw new Error('not loaded');
    expect(found.loaded.record.lastDirectory).toBe('/tmp');
    expect(found.loaded.screen?.framebuffer.cols).toBe(5);
  });

  it('reports an unreadable record instead of guessing, and loads a record whose screen is damaged without it', () => {
    const store = new SessionRecordStore(scratch());
    store.save(record('a'), ScreenState.initial(5, 2));
    writeFileSync(join(store.dir, 'a.screen'), 'garbage');
    const damagedScreen = store.load('a');
    expect(damagedScreen !== undefined && 'loaded' in damagedScreen && damagedScreen.loaded.screen === undefined).toBe(true);
    writeFileSync(join(store.dir, 'a.json'), '{"format": 1, "name": "a"');
    const found = store.load('a');
    expect(found !== undefined && 'problem' in found ? found.problem : '').toMatch(/a\.json: not JSON/);
    // Names outside the session-name rule never reach the file system.
    expect(store.load('../a')).toBeUndefined();
  });

  it('writes atomically: no temporary file is left beside the records', () => {
    const store = new SessionRecordStore(scratch());
    store.save(record('x'), ScreenState.initial(5, 2));
    store.save(record('x'), ScreenState.initial(6, 2));
    expect(readFileSync(join(store.dir, 'x.json'), 'utf8')).toContain('"name": "x"');
    expect(store.names()).toEqual(['x']);
  });
});

describe('parseRecord', () => {
  it('accepts what the store writes and names what is wrong otherwise', () => {
    expect(parseRecord(JSON.stringify(record('a')), 'a')).toEqual(record('a'));
    expect(parseRecord(JSON.stringify(record('a')), 'b')).toMatch(/names session "a", not "b"/);
    expect(parseRecord(JSON.stringify({ ...record('a'), format: 2 }), 'a')).toMatch(/record format 2/);
    expect(parseRecord(JSON.stringify({ ...record('a'), command: [] }), 'a')).toBe('no command');
    expect(parseRecord(JSON.stringify({ ...record('a'), env: { A: 1 } }), 'a')).toBe('bad env');
    expect(parseRecord(JSON.stringify({ ...record('a'), ended: { at: 1 } }), 'a')).toBe('bad ended');
    expect(parseRecord('[]', 'a')).toMatch(/format undefined/);
  });
});

describe('resolveStateDir', () => {
  it('prefers TSMOSH_STATE_DIR, then the daemon’s own runtime folder, then XDG_STATE_HOME, then ~/.local/state', () => {
    expect(resolveStateDir({ TSMOSH_STATE_DIR: '/s', TSMOSH_RUNTIME_DIR: '/r' }, '/home/u')).toBe('/s');
    expect(resolveStateDir({ TSMOSH_RUNTIME_DIR: '/r', XDG_STATE_HOME: '/x' }, '/home/u')).toBe('/r/state');
    expect(resolveStateDir({ XDG_STATE_HOME: '/x', XDG_RUNTIME_DIR: '/run/user/1' }, '/home/u')).toBe('/x/tsmosh');
    expect(resolveStateDir({}, '/home/u')).toBe('/home/u/.local/state/tsmosh');
  });
});
