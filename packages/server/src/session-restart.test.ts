import { describe, expect, it } from 'vitest';
import { rowText, ScreenState, ScrollbackLog, type Row } from '@tsmosh/terminal';
import { HeadlessMirror } from './headless-mirror.js';
import { sessionRecord } from './session-records.test-helpers.js';
import { agoText, commandToRestart, describeEnding, howItEnded, planRestart, restoredScreen } from './session-restart.js';

const record = sessionRecord;

const row = (text: string): Row => ({ cells: [...text].map((ch) => ({ text: ch, width: 1 as const, fg: 0, bg: 0, attrs: 0 })), wrapped: false });
const text = rowText;

describe('commandToRestart', () => {
  it('adds --continue to Claude Code, wherever a wrapper runs it, unless a conversation is already chosen', () => {
    expect(commandToRestart(['claude'])).toEqual(['claude', '--continue']);
    expect(commandToRestart(['/usr/local/bin/claude', '--model', 'opus'])).toEqual(['/usr/local/bin/claude', '--continue', '--model', 'opus']);
    expect(commandToRestart(['tmux', 'new', '-A', '-s', 'cc', 'claude'])).toEqual(['tmux', 'new', '-A', '-s', 'cc', 'claude', '--continue']);
    expect(commandToRestart(['claude', '--resume', 'abc'])).toEqual(['claude', '--resume', 'abc']);
    expect(commandToRestart(['claude', '-c'])).toEqual(['claude', '-c']);
    expect(commandToRestart(['claude', '--session-id=1234'])).toEqual(['claude', '--session-id=1234']);
    expect(commandToRestart(['bash', '-l'])).toEqual(['bash', '-l']);
  });
});

describe('how a lost session ended', () => {
  it('tells a reboot from a daemon that died, and uses what the daemon saw when it saw the end', () => {
    expect(howItEnded(record(), { bootId: 'boot-2' })).toBe('when the host restarted');
    expect(howItEnded(record(), { bootId: 'boot-1' })).toMatch(/^when its tsmosh daemon \(pid 4242\) stopped without ending it/);
    expect(howItEnded(record({ bootId: undefined }), { bootId: 'boot-2' })).toMatch(/daemon \(pid 4242\)/);
    expect(howItEnded(record({ ended: { at: '2026-12-05T04:06:00.000Z', description: 'when its command exited with status 3' } }), { bootId: 'boot-2' })).toBe(
      'when its command exited with status 3',
    );
    expect(describeEnding({ kind: 'command-exited', exitCode: 0, signal: 'SIGKILL' })).toBe('when its command was killed by SIGKILL');
    expect(describeEnding({ kind: 'ended', reason: 'the tsmosh server daemon was shut down' })).toBe('because the tsmosh server daemon was shut down');
  });

  it('plans the restart in the last folder that still exists, with a notice that says all of it', () => {
    const now = new Date('2026-12-05T06:05:00.000Z');
    const plan = planRestart(record(), { bootId: 'boot-2' }, now, (dir) => dir === '/home/u/project');
    expect(plan.command).toEqual(['claude', '--continue']);
    expect(plan.directory).toBe('/home/u/project');
    expect(plan.notice).toBe('tsmosh: session "cc" ended when the host restarted (last seen 2 h ago); starting `claude --continue` again in /home/u/project.');
    expect(plan.marker).toBe(`[${plan.notice}]`);
    expect(planRestart(record(), { bootId: 'boot-2' }, now, (dir) => dir === '/home/u').directory).toBe('/home/u');
    expect(agoText('2026-12-05T06:04:30.000Z', now)).toBe('30 s ago');
    expect(agoText('2026-12-01T06:05:00.000Z', now)).toBe('4 d ago');
  });
});

describe('restoredScreen in a mirror', () => {
  it('starts with the saved history and screen; the saved rows reach the log once, after the history, as output scrolls', async () => {
    const saved = new ScreenState(
      { ...ScreenState.initial(20, 4).framebuffer, lines: [row('screen one'), row('screen two'), row(''), row('')] },
      0,
      undefined,
      ScrollbackLog.empty.append([row('history a'), row('history b')]),
    );
    const restored = restoredScreen(saved, '[marker]');
    const mirror = new HeadlessMirror({ cols: 20, rows: 4, onReply: () => {}, restored });
    try {
      await mirror.write(new TextEncoder().encode(''));
      expect(mirror.snapshot().lines.map(text)).toEqual(['screen one', 'screen two', '[marker]', '']);
      await mirror.write(new TextEncoder().encode('new 1\r\nnew 2\r\nnew 3\r\n'));
      expect(mirror.scrollback().linesFrom(0).map(text)).toEqual(['history a', 'history b', 'screen one', 'screen two', '[marker]']);
      expect(mirror.snapshot().lines.map(text)).toEqual(['new 1', 'new 2', 'new 3', '']);
    } finally {
      mirror.dispose();
    }
  });

  it('with no saved screen, starts with the marker alone', () => {
    expect(restoredScreen(undefined, '[m]')).toEqual({ history: ScrollbackLog.empty, prelude: '\x1b[2m[m]\x1b[m\r\n' });
  });
});
