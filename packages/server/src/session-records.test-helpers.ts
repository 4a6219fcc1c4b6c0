/** A session record as the daemon writes one, for tests; `extra` overrides any field. */
import { SESSION_RECORD_FORMAT, type SessionRecord } from './session-records.js';

export function sessionRecord(extra: Partial<SessionRecord> = {}): SessionRecord {
  return {
    format: SESSION_RECORD_FORMAT,
    name: 'cc',
    command: ['claude'],
    env: { HOME: '/home/u', LANG: 'C.UTF-8' },
    startDirectory: '/home/u',
    lastDirectory: '/home/u/project',
    startedAt: '2026-12-05T04:00:00.000Z',
    daemonPid: 4242,
    bootId: 'boot-1',
    savedAt: '2026-12-05T04:05:00.000Z',
    ...extra,
  };
}
