import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@tsmosh/protocol/front';
import { UNNAMED_SESSION_IDLE_TIMEOUT_MS } from '@tsmosh/server/new-session';
import { LOCAL_PLACE, ORPHAN_REMINDER_INTERVAL_MS, hostPlace, inClientTerms, noticeLines, orphanNotices, orphanReminders, unnamedSessionHooks } from './remote-sessions.js';
import { SessionState } from './session-state.js';

const parents: string[] = [];
function freshState(): SessionState {
  const parent = mkdtempSync(join(tmpdir(), 'tsmosh-orphans-'));
  parents.push(parent);
  return new SessionState(join(parent, 'state'));
}
afterEach(() => {
  for (const parent of parents.splice(0)) rmSync(parent, { recursive: true, force: true });
});

/** A pid no process has: the tsmosh that attached died without exiting. */
const DEAD_PID = 2 ** 22 + 1;

describe('orphanNotices', () => {
  it('names a named and an unnamed session whose tsmosh died, with the command that takes each back', () => {
    const state = freshState();
    state.recordAttach('host', { name: 'cc', port: 60001, command: ['claude'], clientPid: DEAD_PID });
    state.recordAttach('host', { name: '00000000000000ab', unnamed: true, port: 60001, command: [], clientPid: DEAD_PID });
    state.recordAttach('host', { name: 'live', port: 60001, command: [], clientPid: process.pid });
    const notices = orphanNotices(hostPlace('host'), state, new Date('2026-12-07T10:00:00Z'));
    expect(notices).toHaveLength(2);
    expect(notices).toContain('tsmosh: session "cc" on host lost its client (tsmosh pid 4194305 did not exit cleanly); `tsmosh host --session cc` takes it back.');
    expect(notices).toContain(
      'tsmosh: an unnamed session on host lost its client (tsmosh pid 4194305 did not exit cleanly); `tsmosh host --session 00000000000000ab` takes it back, `--kill 00000000000000ab` ends it.',
    );
  });

  it('stops naming an unnamed session once the host has surely ended it, and forgets it; a named one stays', () => {
    const state = freshState();
    state.recordAttach('host', { name: 'cc', port: 60001, command: [], clientPid: DEAD_PID });
    state.recordAttach('host', { name: '00000000000000ab', unnamed: true, port: 60001, command: [], clientPid: DEAD_PID });
    const first = new Date('2026-12-07T10:00:00Z');
    expect(orphanNotices(hostPlace('host'), state, first)).toHaveLength(2);
    // Reported again later: the first report's time is kept, so the bound runs from it.
    expect(orphanNotices(hostPlace('host'), state, new Date(first.getTime() + UNNAMED_SESSION_IDLE_TIMEOUT_MS - 1000))).toHaveLength(2);
    expect(state.get('host', '00000000000000ab')?.reportedAt).toBe(first.toISOString());
    // Past the bound: the unnamed one is forgotten unsaid; cc, reminded 2 s before, is not named again so soon.
    expect(orphanNotices(hostPlace('host'), state, new Date(first.getTime() + UNNAMED_SESSION_IDLE_TIMEOUT_MS + 1000))).toEqual([]);
    expect(state.get('host', '00000000000000ab')).toBeUndefined();
    expect(state.get('host', 'cc')).toBeDefined();
  });

  it('reminds of a session once, then at most once a day while it runs, and at once after its client is lost again', () => {
    // Every plain run repeated the reminder for as long as the session waited (weeks, for a named one).
    const state = freshState();
    state.recordAttach('host', { name: 'cc', port: 60001, command: [], clientPid: DEAD_PID });
    const first = new Date('2026-12-07T10:00:00Z');
    const at = (ms: number): Date => new Date(first.getTime() + ms);
    const reminder = 'tsmosh: session "cc" on host lost its client (tsmosh pid 4194305 did not exit cleanly); `tsmosh host --session cc` takes it back.';
    expect(orphanNotices(hostPlace('host'), state, first)).toEqual([reminder]);
    expect(orphanNotices(hostPlace('host'), state, at(60_000))).toEqual([]);
    expect(orphanNotices(hostPlace('host'), state, at(ORPHAN_REMINDER_INTERVAL_MS - 1))).toEqual([]);
    expect(orphanNotices(hostPlace('host'), state, at(ORPHAN_REMINDER_INTERVAL_MS))).toEqual([reminder]);
    // The interval runs from the last reminder.
    expect(orphanNotices(hostPlace('host'), state, at(ORPHAN_REMINDER_INTERVAL_MS + 60_000))).toEqual([]);
    expect(state.get('host', 'cc')).toMatchObject({ reportedAt: first.toISOString(), remindedAt: at(ORPHAN_REMINDER_INTERVAL_MS).toISOString() });
    // Taken back, and that client lost too: news again, the next run says so.
    state.recordAttach('host', { name: 'cc', port: 60001, command: [], clientPid: DEAD_PID + 1 });
    expect(orphanNotices(hostPlace('host'), state, at(ORPHAN_REMINDER_INTERVAL_MS + 120_000))).toEqual([reminder.replace('4194305', '4194306')]);
    // A file from before remindedAt: its first report stands for the last reminder.
    const older = freshState();
    older.recordAttach('host', { name: 'cc', port: 60001, command: [], clientPid: DEAD_PID });
    older.markReported('host', ['cc'], first);
    const file = join(older.dir, readdirSync(older.dir)[0]!);
    const json = JSON.parse(readFileSync(file, 'utf8')) as { sessions: Record<string, { remindedAt?: string }> };
    delete json.sessions.cc!.remindedAt;
    writeFileSync(file, JSON.stringify(json));
    expect(older.get('host', 'cc')).toMatchObject({ reportedAt: first.toISOString() });
    expect(older.get('host', 'cc')?.remindedAt).toBeUndefined();
    expect(orphanNotices(hostPlace('host'), older, at(60_000))).toEqual([]);
    expect(orphanNotices(hostPlace('host'), older, at(ORPHAN_REMINDER_INTERVAL_MS))).toEqual([reminder]);
  });
});

describe('orphanNotices checked against the host\'s list', () => {
  const first = new Date('2026-12-07T10:00:00Z');
  function orphans(): SessionState {
    const state = freshState();
    state.recordAttach('host', { name: 'cc', port: 60001, command: ['claude'], clientPid: DEAD_PID });
    state.recordAttach('host', { name: 'work', port: 60001, command: [], clientPid: DEAD_PID });
    state.recordAttach('host', { name: '00000000000000ab', unnamed: true, port: 60001, command: [], clientPid: DEAD_PID });
    state.recordAttach('host', { name: '00000000000000cd', unnamed: true, port: 60001, command: [], clientPid: DEAD_PID });
    return state;
  }

  it('forgets what the host no longer runs, a named session after one last line, and reminds of the rest', () => {
    const state = orphans();
    // cc was killed from another machine and the unnamed ab ended; work runs, cd was named by its ID since.
    const live = [{ sessionId: '1111111111111111', name: 'work' }, { sessionId: '00000000000000cd', name: '00000000000000cd' }];
    const notices = orphanNotices(hostPlace('host'), state, first, live);
    expect([...notices].sort()).toEqual([
      'tsmosh: session "cc" on host, whose client was lost, no longer runs there; `tsmosh host --session cc` starts it again.',
      'tsmosh: session "work" on host lost its client (tsmosh pid 4194305 did not exit cleanly); `tsmosh host --session work` takes it back.',
      'tsmosh: an unnamed session on host lost its client (tsmosh pid 4194305 did not exit cleanly); `tsmosh host --session 00000000000000cd` takes it back, `--kill 00000000000000cd` ends it.',
    ].sort());
    expect(state.sessions('host').map((session) => session.name).sort()).toEqual(['00000000000000cd', 'work']);
    // The next run says nothing of cc again, nor, the same day, of the others.
    expect(orphanNotices(hostPlace('host'), state, first, live)).toEqual([]);
  });

  it('forgets every orphan when no daemon runs there (the list is empty), and none when the list could not be had', () => {
    const state = orphans();
    expect(orphanNotices(hostPlace('host'), state, first, undefined)).toHaveLength(4);
    expect(orphanNotices(hostPlace('host'), state, first, [])).toHaveLength(2); // the named ones' last lines
    expect(state.sessions('host')).toEqual([]);
  });

  it('does not offer --session for a session an older tsmosh\'s daemon runs (it would be refused), but that tsmosh and --kill', () => {
    const state = orphans();
    const older = { protocol: PROTOCOL_VERSION - 1, version: '0.2.0', daemonPid: 4242 };
    const live = [
      { sessionId: '1111111111111111', name: 'work' },
      { sessionId: '2222222222222222', name: 'cc', otherGeneration: older },
      { sessionId: '00000000000000ab', otherGeneration: older },
    ];
    expect([...orphanNotices(hostPlace('host'), state, first, live)].sort()).toEqual([
      `tsmosh: session "cc" on host lost its client (tsmosh pid 4194305 did not exit cleanly); it runs under an older tsmosh (0.2.0, protocol ${PROTOCOL_VERSION - 1}): reattach with that tsmosh (\`--session cc\`), or \`tsmosh host --kill cc\` ends it.`,
      'tsmosh: session "work" on host lost its client (tsmosh pid 4194305 did not exit cleanly); `tsmosh host --session work` takes it back.',
      `tsmosh: an unnamed session on host lost its client (tsmosh pid 4194305 did not exit cleanly); it runs under an older tsmosh (0.2.0, protocol ${PROTOCOL_VERSION - 1}): reattach with that tsmosh (\`--session 00000000000000ab\`), or \`tsmosh host --kill 00000000000000ab\` ends it.`,
    ].sort());
  });

  it('names this machine for --local, with the --local commands', () => {
    const state = freshState();
    state.recordAttach(LOCAL_PLACE.key, { name: '00000000000000ab', unnamed: true, port: 60001, command: [], clientPid: DEAD_PID });
    expect(orphanNotices(LOCAL_PLACE, state, first)).toEqual([
      'tsmosh: an unnamed session on this machine lost its client (tsmosh pid 4194305 did not exit cleanly); `tsmosh --local --session 00000000000000ab` takes it back, `--kill 00000000000000ab` ends it.',
    ]);
  });
});

describe('orphanReminders', () => {
  it('asks for the list once connected, and only when there is something to remind of', async () => {
    let asked = 0;
    const list = async () => {
      asked++;
      return [];
    };
    const empty = orphanReminders(hostPlace('host'), list, freshState());
    empty.onConnected();
    expect(await empty.notices()).toEqual([]);
    expect(asked).toBe(0);

    const state = freshState();
    state.recordAttach('host', { name: 'cc', port: 60001, command: [], clientPid: DEAD_PID });
    const reminders = orphanReminders(hostPlace('host'), list, state);
    expect(asked).toBe(0);
    reminders.onConnected();
    expect(asked).toBe(1);
    expect(await reminders.notices()).toEqual(['tsmosh: session "cc" on host, whose client was lost, no longer runs there; `tsmosh host --session cc` starts it again.']);
  });

  it('reminds unchecked when the list is no answer (a login that would have to ask)', async () => {
    const state = freshState();
    state.recordAttach('host', { name: 'cc', port: 60001, command: [], clientPid: DEAD_PID });
    const reminders = orphanReminders(hostPlace('host'), async () => undefined, state);
    reminders.onConnected();
    expect(await reminders.notices()).toEqual(['tsmosh: session "cc" on host lost its client (tsmosh pid 4194305 did not exit cleanly); `tsmosh host --session cc` takes it back.']);
  });
});

describe('noticeLines', () => {
  it('sends notices to the caller and words a failed write of the local list as a warning', () => {
    const lines: string[] = [];
    const { tell, warn } = noticeLines({ tell: (line) => lines.push(line) });
    tell('tsmosh: hello');
    warn(new Error('EACCES: permission denied'));
    expect(lines).toEqual(['tsmosh: hello', 'tsmosh: warning: could not update the local session list: EACCES: permission denied']);
  });

  it('is what the session hooks warn through when the state folder cannot be written', () => {
    const parent = mkdtempSync(join(tmpdir(), 'tsmosh-orphans-'));
    parents.push(parent);
    writeFileSync(join(parent, 'state'), 'a file where the folder should be');
    const lines: string[] = [];
    const hooks = unnamedSessionHooks(hostPlace('host'), { command: [] }, { state: new SessionState(join(parent, 'state')), tell: (line) => lines.push(line) });
    hooks.onConnected?.({ udpHost: '127.0.0.1', port: 60001, keyId: '00000000000000ab' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tsmosh: warning: could not update the local session list: /);
  });
});

describe('inClientTerms', () => {
  it("names the list command the user types, not the server's", () => {
    const line = 'tsmosh-server: no session named or numbered "k1"; `tsmosh-server list` shows the running ones';
    expect(inClientTerms(line, hostPlace('devbox'))).toBe('no session named or numbered "k1"; `tsmosh devbox --list` shows the running ones');
    expect(inClientTerms(line, LOCAL_PLACE)).toBe('no session named or numbered "k1"; `tsmosh --local --list` shows the running ones');
    expect(inClientTerms('tsmosh-server: no daemon is running (no sessions); `tsmosh-server new` starts one', LOCAL_PLACE)).toBe('no daemon is running (no sessions); `tsmosh --local` starts one');
  });
});
