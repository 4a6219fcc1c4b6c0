import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionState, hostFileName, resolveStateDir } from './session-state.js';

const parents: string[] = [];
function freshState(): SessionState {
  const parent = mkdtempSync(join(tmpdir(), 'tsmosh-state-'));
  parents.push(parent);
  return new SessionState(join(parent, 'state', 'tsmosh'));
}
afterEach(() => {
  for (const parent of parents.splice(0)) rmSync(parent, { recursive: true, force: true });
});

const work = { name: 'work', sessionId: '0123456789abcdef', port: 60001, command: ['claude'], clientPid: 4242, serverCommand: '/opt/tsmosh-server' };

describe('SessionState', () => {
  it('keeps one private file per host: 0600 in a 0700 directory, and never a key', () => {
    const state = freshState();
    state.recordAttach('alice@build', work);
    expect(statSync(state.dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(state.dir);
    expect(files).toEqual([hostFileName('alice@build')]);
    expect(statSync(join(state.dir, files[0]!)).mode & 0o777).toBe(0o600);
    const text = readFileSync(join(state.dir, files[0]!), 'utf8');
    expect(text).not.toMatch(/key|secret/i);
    expect(state.get('alice@build', 'work')).toMatchObject({ ...work, clientState: 'attached' });
    expect(state.get('bob@build', 'work')).toBeUndefined();
  });

  it('reports a session whose tsmosh died without exiting, not one whose tsmosh exited or still runs', () => {
    const state = freshState();
    state.recordAttach('host', { ...work, name: 'crashed', clientPid: 111 });
    state.recordAttach('host', { ...work, name: 'running', clientPid: 222 });
    state.recordAttach('host', { ...work, name: 'clean', clientPid: 333 });
    state.recordDetached('host', 'clean', 333);
    const alive = new Set([222]);
    expect(state.orphaned('host', (pid) => alive.has(pid)).map((s) => s.name)).toEqual(['crashed']);
  });

  it('keeps the first attach time across re-attaches, and forgets sessions that ended or the host no longer lists', () => {
    const state = freshState();
    state.recordAttach('host', work, new Date('2026-01-01T00:00:00Z'));
    state.recordAttach('host', { ...work, clientPid: 5 }, new Date('2026-01-02T00:00:00Z'));
    expect(state.get('host', 'work')).toMatchObject({ firstAttachedAt: '2026-01-01T00:00:00.000Z', lastAttachedAt: '2026-01-02T00:00:00.000Z', clientPid: 5 });
    state.recordAttach('host', { ...work, name: 'other', sessionId: 'fedcba9876543210' });
    state.reconcile('host', [{ name: 'work', sessionId: '00000000000000aa' }, { name: undefined, sessionId: '1111111111111111' }]);
    expect(state.sessions('host').map((s) => s.name)).toEqual(['work']);
    expect(state.get('host', 'work')?.sessionId).toBe('00000000000000aa');
    state.forget('host', 'work');
    expect(state.sessions('host')).toEqual([]);
    expect(readdirSync(state.dir)).toEqual([]);
  });

  it('remembers an unnamed session by its ID: orphaned like a named one, kept by --list while the host lists its ID', () => {
    const state = freshState();
    state.recordAttach('host', { ...work, name: '00000000000000bb', unnamed: true, clientPid: 111 });
    expect(state.orphaned('host', () => false)).toMatchObject([{ name: '00000000000000bb', unnamed: true }]);
    state.reconcile('host', [{ name: undefined, sessionId: '00000000000000bb' }]);
    expect(state.get('host', '00000000000000bb')).toMatchObject({ unnamed: true, sessionId: '00000000000000bb' });
    // Taken back with --session ID: the entry becomes a named one (the daemon names the session by its ID).
    state.recordAttach('host', { ...work, name: '00000000000000bb', clientPid: 222 });
    expect(state.get('host', '00000000000000bb')?.unnamed).toBeUndefined();
    state.reconcile('host', [{ name: '00000000000000bb', sessionId: '00000000000000bb' }]);
    expect(state.sessions('host')).toHaveLength(1);
    state.reconcile('host', []);
    expect(state.sessions('host')).toEqual([]);
  });

  it('treats a corrupt or foreign file as nothing remembered', async () => {
    const state = freshState();
    state.recordAttach('host', work);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(state.dir, hostFileName('host')), '{not json');
    expect(state.sessions('host')).toEqual([]);
    state.recordAttach('host', work);
    expect(state.sessions('host')).toHaveLength(1);
  });

  it('lives under XDG_STATE_HOME or ~/.local/state unless TSMOSH_STATE_DIR says otherwise', () => {
    expect(resolveStateDir({ HOME: '/home/a' })).toBe('/home/a/.local/state/tsmosh');
    expect(resolveStateDir({ HOME: '/home/a', XDG_STATE_HOME: '/x' })).toBe('/x/tsmosh');
    expect(resolveStateDir({ HOME: '/home/a', TSMOSH_STATE_DIR: '/t' })).toBe('/t');
  });
});
