import { describe, expect, it } from 'vitest';
import { terminalIdentityAssignments } from './terminal-identity.js';

describe('terminalIdentityAssignments', () => {
  it("passes on the terminal's name, version and colour support, and nothing else", () => {
    expect(
      terminalIdentityAssignments({ TERM: 'xterm-kitty', TERM_PROGRAM: 'ghostty', TERM_PROGRAM_VERSION: '1.4.0', COLORTERM: 'truecolor', PATH: '/bin', LC_TERMINAL: 'iTerm2' }),
    ).toEqual(['TERM_PROGRAM=ghostty', 'TERM_PROGRAM_VERSION=1.4.0', 'COLORTERM=truecolor', 'LC_TERMINAL=iTerm2']);
  });
  it('drops empty, oversize and control-character values', () => {
    expect(terminalIdentityAssignments({ TERM_PROGRAM: '', COLORTERM: 'x'.repeat(257), LC_TERMINAL: 'a\nb' })).toEqual([]);
  });
});
