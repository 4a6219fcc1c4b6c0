import { describe, expect, it } from 'vitest';
import { serverArguments } from './remote.js';

describe('serverArguments', () => {
  const options = { destination: 'host', command: ['tmux', 'new', '-A', '-s', 'cc'] };

  it("passes the local terminal's answers so the session's command gets them from its first query", () => {
    const args = serverArguments(options, { TERM_PROGRAM: 'kitty' }, false, { kittyKeyboard: true, synchronizedOutput: true, version: 'kitty(0.39.1)' });
    expect(args).toEqual(['new', '-e', 'TERM_PROGRAM=kitty', '--terminal-answers', '3:kitty(0.39.1)', '--', 'tmux', 'new', '-A', '-s', 'cc']);
  });

  it('passes none when the terminal was not asked (not a terminal), and never invents them', () => {
    expect(serverArguments(options, {})).toEqual(['new', '--', 'tmux', 'new', '-A', '-s', 'cc']);
    expect(serverArguments(options, {}, false, { kittyKeyboard: false, synchronizedOutput: false, version: '' })).toContain('0:');
  });
});
