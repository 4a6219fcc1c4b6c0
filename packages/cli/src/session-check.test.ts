import { describe, expect, it } from 'vitest';
import { SessionKey } from '@tsmosh/protocol';
import { findInListing, goneMessage } from './session-check.js';

const key = SessionKey.generate((n) => new Uint8Array(n).fill(7)).toString();
const id = SessionKey.parse(key).sessionIdHex;

describe('findInListing', () => {
  it('finds a named session by name, and tells one started after we attached (a restart by someone else)', () => {
    const listing = JSON.stringify([{ name: 'cc', sessionId: 'aa', startedAt: '2026-12-05T04:00:00.000Z' }]);
    expect(findInListing(listing, { name: 'cc', key, connectedAt: Date.parse('2026-12-05T05:00:00.000Z') })).toBe('running');
    expect(findInListing(listing, { name: 'cc', key, connectedAt: Date.parse('2026-12-05T03:00:00.000Z') })).toBe('replaced');
    expect(findInListing(listing, { name: 'other', key, connectedAt: 0 })).toBe('absent');
  });

  it('finds an unnamed session by the ID of the key it was created with', () => {
    expect(findInListing(JSON.stringify([{ sessionId: id }]), { key, connectedAt: 0 })).toBe('running');
    expect(findInListing('[]', { key, connectedAt: 0 })).toBe('absent');
    expect(findInListing('no daemon', { key, connectedAt: 0 })).toBe('unreadable');
    expect(findInListing('{}', { key, connectedAt: 0 })).toBe('unreadable');
  });

  it('says in one line what happened and how to come back', () => {
    expect(goneMessage('absent', { name: 'cc', key, connectedAt: 0 }, 'host', 'tsmosh host --session cc')).toBe(
      'tsmosh: session cc no longer runs on host: its tsmosh daemon stopped (the host restarted, or it was killed); `tsmosh host --session cc` starts it again where it was.',
    );
    expect(goneMessage('absent', { key, connectedAt: 0 }, 'host', undefined)).toMatch(/^tsmosh: the session no longer runs on host: /);
    expect(goneMessage('replaced', { name: 'cc', key, connectedAt: 0 }, 'host', 'tsmosh host --session cc')).toMatch(/started again by another client.*attaches to the new one/);
  });
});
