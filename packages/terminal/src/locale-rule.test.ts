import { describe, expect, it } from 'vitest';
import { ctypeSetting, isUtf8LocaleName } from './locale-rule.js';

describe('the locale rule', () => {
  it('takes LC_ALL over LC_CTYPE over LANG, skipping empty values, and nothing when none is set', () => {
    expect(ctypeSetting({ LANG: 'en_US.UTF-8', LC_CTYPE: 'C', LC_ALL: '' })).toEqual({ name: 'LC_CTYPE', value: 'C' });
    expect(ctypeSetting({ LANG: 'C', LC_ALL: 'C.UTF-8' })).toEqual({ name: 'LC_ALL', value: 'C.UTF-8' });
    expect(ctypeSetting({ LANGUAGE: 'fr' })).toBeUndefined();
  });

  it('calls a name UTF-8 by its codeset only', () => {
    for (const name of ['en_US.UTF-8', 'C.utf8', 'de_DE.utf8@euro', 'x.Utf-8']) expect(isUtf8LocaleName(name)).toBe(true);
    for (const name of ['C', 'POSIX', 'en_US.ISO-8859-1', 'en_US', 'UTF-8', 'x.utf8x']) expect(isUtf8LocaleName(name)).toBe(false);
  });
});
