import { describe, expect, it } from 'vitest';
import { EXIT_TSMOSH_FAILURE, exitLine, exitStatusFor, exitStatusForSignal } from './exit-status.js';

describe('exitStatusFor', () => {
  const exited = (exitCode: number, signal?: string) =>
    ({ reason: 'remote-exit', message: '', ending: { kind: 'command-exited', exitCode, signal } }) as const;

  it("passes the remote program's own status through", () => {
    expect(exitStatusFor(exited(0))).toBe(0);
    expect(exitStatusFor(exited(3))).toBe(3);
    expect(exitStatusFor(exited(254))).toBe(254);
  });
  it('reports a program ended by a signal as a shell does: 128 + its number', () => {
    expect(exitStatusFor(exited(0, 'SIGINT'))).toBe(130);
    expect(exitStatusFor(exited(0, 'SIGKILL'))).toBe(137);
    expect(exitStatusForSignal('SIGNOTASIGNAL')).toBe(EXIT_TSMOSH_FAILURE);
  });
  it("gives 255 for tsmosh's own endings, 0 for the user's quit and for a takeover (the session goes on elsewhere)", () => {
    expect(exitStatusFor(undefined)).toBe(255);
    expect(exitStatusFor({ reason: 'network-timeout', message: '' })).toBe(255);
    expect(exitStatusFor({ reason: 'error', message: '' })).toBe(255);
    expect(exitStatusFor({ reason: 'remote-exit', message: '', ending: { kind: 'taken-over', by: 'x' } })).toBe(0);
    expect(exitStatusFor({ reason: 'remote-exit', message: '', ending: { kind: 'ended', reason: 'killed' } })).toBe(255);
    expect(exitStatusFor({ reason: 'user', message: '' })).toBe(0);
  });
  it('lets a signal that ended the client itself win', () => {
    expect(exitStatusFor({ reason: 'user', message: '' }, 'SIGTERM')).toBe(143);
    expect(exitStatusFor(exited(3), 'SIGHUP')).toBe(129);
  });
});

describe('exitLine', () => {
  const exited = (exitCode: number, signal?: string) =>
    ({ reason: 'remote-exit', message: `the message for ${exitCode}`, ending: { kind: 'command-exited', exitCode, signal } }) as const;

  it('says nothing when the remote command exits, as ssh: the status is the report', () => {
    expect(exitLine(exited(0))).toBeUndefined();
    expect(exitLine(exited(3))).toBeUndefined();
    expect(exitLine({ reason: 'remote-exit', message: 'no reason given' })).toBeUndefined();
  });
  it('keeps the line where it says what the status cannot', () => {
    expect(exitLine(exited(0, 'SIGKILL'))).toBe('the message for 0');
    expect(exitLine({ reason: 'remote-exit', message: 'taken over', ending: { kind: 'taken-over', by: 'x' } })).toBe('taken over');
    expect(exitLine({ reason: 'remote-exit', message: 'killed', ending: { kind: 'ended', reason: 'killed' } })).toBe('killed');
    expect(exitLine({ reason: 'network-timeout', message: 'no contact' })).toBe('no contact');
    expect(exitLine({ reason: 'server-gone', message: 'gone' })).toBe('gone');
    expect(exitLine({ reason: 'user', message: 'quit' })).toBe('quit');
    expect(exitLine(exited(0), 'SIGTERM')).toBe('tsmosh: exiting on SIGTERM.');
  });
});
