// The testkit's SyncState conformance suite (the properties the transport relies on), run for both terminal states.
import fc from 'fast-check';
import { syncStateConformance } from '@tsmosh/testkit';
import { arbFramebuffer, arbRow, arbSuccessor } from './arbitrary-framebuffer.test-helpers.js';
import { InputStream, type InputEvent } from './input-stream.js';
import { ScreenState } from './screen-state.js';
import { ScrollbackLog } from './scrollback-log.js';

/** Lines appended to a log, kept to a small random window so the drop of old lines is exercised too. */
const arbLogGrowth = (log: ScrollbackLog): fc.Arbitrary<ScrollbackLog> =>
  fc
    .tuple(fc.array(fc.integer({ min: 0, max: 12 }).chain((cols) => arbRow(cols)), { maxLength: 6 }), fc.integer({ min: 1, max: 8 }))
    .map(([lines, retain]) => log.append(lines, retain));

const arbScreenState = fc
  .tuple(arbFramebuffer(), fc.nat({ max: 1000 }), arbLogGrowth(ScrollbackLog.empty))
  .map(([fb, ack, log]) => new ScreenState(fb, ack, undefined, log));

syncStateConformance('ScreenState', {
  state: arbScreenState,
  // Any screen may follow any other; plausible successors exercise the scroll and patch paths too.
  next: (s) =>
    fc.oneof(
      arbScreenState.chain((t) => arbLogGrowth(s.scrollback).map((log) => t.withScrollback(log))),
      fc
        .tuple(arbSuccessor(s.framebuffer), fc.nat({ max: 3 }), arbLogGrowth(s.scrollback))
        .map(([fb, more, log]) => new ScreenState(fb, s.echoAck + more, undefined, log)),
    ),
});

const arbEvent: fc.Arbitrary<InputEvent> = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => ({ kind: 'keys' as const, bytes })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resize' as const), cols: fc.integer({ min: 1, max: 1000 }), rows: fc.integer({ min: 1, max: 1000 }) }) },
);
const appendAll = (events: readonly InputEvent[], from: InputStream): InputStream => events.reduce((s, e) => s.append(e), from);

syncStateConformance('InputStream', {
  state: fc.array(arbEvent, { maxLength: 12 }).map((events) => appendAll(events, InputStream.empty())),
  next: (s) => fc.array(arbEvent, { maxLength: 6 }).map((events) => appendAll(events, s)),
});
