import { describe, expect, it } from 'vitest';
import { MAX_SCREEN_COLS } from '@tsmosh/terminal';
import { serverArguments } from './remote.js';

describe('serverArguments', () => {
  const options = { destination: 'host', command: ['tmux', 'new', '-A', '-s', 'cc'] };

  it("passes the local terminal's answers so the session's command gets them from its first query", () => {
    const args = serverArguments(options, { TERM_PROGRAM: 'kitty' }, false, { kittyKeyboard: true, synchronizedOutput: true, version: 'kitty(0.39.1)' });
    expect(args).toEqual(['new', '-e', 'TERM_PROGRAM=kitty', '--terminal-answers', '3:kitty(0.39.1)', '--', 'tmux', 'new', '-A', '-s', 'cc']);
  });

  it("passes the local window's size, clamped to what the wire carries, so the command starts at it", () => {
    expect(serverArguments(options, {}, false, undefined, { cols: 100, rows: 30 })).toEqual(['new', '--size', '100x30', '--', 'tmux', 'new', '-A', '-s', 'cc']);
    expect(serverArguments(options, {}, false, undefined, { cols: MAX_SCREEN_COLS + 5, rows: 30 })).toContain(`${MAX_SCREEN_COLS}x30`);
  });

  it('passes none when the terminal was not asked (not a terminal), and never invents them', () => {
    expect(serverArguments(options, {})).toEqual(['new', '--', 'tmux', 'new', '-A', '-s', 'cc']);
    expect(serverArguments(options, {}, false, { kittyKeyboard: false, synchronizedOutput: false, version: '' })).toContain('0:');
  });

  it('asks a text session to keep every line, and to start its command with the echo off unless a terminal is on the input', () => {
    expect(serverArguments(options, {}, false, undefined, undefined, 'text', { isTTY: false })).toEqual(['new', '--keep-every-line', '--no-echo', '--', 'tmux', 'new', '-A', '-s', 'cc']);
    expect(serverArguments(options, {}, false, undefined, undefined, 'text', { isTTY: true })).toEqual(['new', '--keep-every-line', '--', 'tmux', 'new', '-A', '-s', 'cc']);
    expect(serverArguments(options, {}, false, undefined, undefined, 'terminal', { isTTY: false })).toEqual(['new', '--', 'tmux', 'new', '-A', '-s', 'cc']);
  });
});
