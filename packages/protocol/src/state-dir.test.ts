import { describe, expect, it } from 'vitest';
import { stateDirectory } from './state-dir.js';

describe('stateDirectory', () => {
  it('takes TSMOSH_STATE_DIR, else a private runtime folder, else XDG_STATE_HOME, else ~/.local/state; never the runtime dir', () => {
    expect(stateDirectory({ TSMOSH_STATE_DIR: '/s', TSMOSH_RUNTIME_DIR: '/r', XDG_STATE_HOME: '/x' }, '/home/u')).toBe('/s');
    expect(stateDirectory({ TSMOSH_RUNTIME_DIR: '/r', XDG_STATE_HOME: '/x' }, '/home/u')).toBe('/r/state');
    expect(stateDirectory({ XDG_STATE_HOME: '/x', XDG_RUNTIME_DIR: '/run/user/1' }, '/home/u')).toBe('/x/tsmosh');
    expect(stateDirectory({}, '/home/u')).toBe('/home/u/.local/state/tsmosh');
    // An empty variable counts as unset, as a shell's `VAR=` means.
    expect(stateDirectory({ TSMOSH_STATE_DIR: '', TSMOSH_RUNTIME_DIR: '', XDG_STATE_HOME: '' }, '/home/u')).toBe('/home/u/.local/state/tsmosh');
    // A folder given with a trailing slash, or the root, gains no double slash.
    expect(stateDirectory({ TSMOSH_RUNTIME_DIR: '/r/' }, '/home/u')).toBe('/r/state');
    expect(stateDirectory({ XDG_STATE_HOME: '/x//' }, '/home/u')).toBe('/x/tsmosh');
    expect(stateDirectory({}, '/')).toBe('/.local/state/tsmosh');
  });
});
