import { describe, expect, it } from 'vitest';
import { EXIT_TSMOSH_FAILURE, exitStatusFor, exitStatusForSignal } from './exit-status.js';

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
