// The testkit's SyncState conformance suite (the properties the transport relies on), run for both terminal states.
import fc from 'fast-check';
import { syncStateConformance } from '@tsmosh/testkit';
import { arbFramebuffer, arbSuccessor } from './arbitrary-framebuffer.test-helpers.js';
import { InputStream, type InputEvent } from './input-stream.js';
import { ScreenState } from './screen-state.js';

const arbScreenState = fc.tuple(arbFramebuffer(), fc.nat({ max: 1000 })).map(([fb, ack]) => new ScreenState(fb, ack));

syncStateConformance('ScreenState', {
  state: arbScreenState,
  // Any screen may follow any other; plausible successors exercise the scroll and patch paths too.
  next: (s) =>
    fc.oneof(
      arbScreenState,
      fc.tuple(arbSuccessor(s.framebuffer), fc.nat({ max: 3 })).map(([fb, more]) => new ScreenState(fb, s.echoAck + more)),
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
