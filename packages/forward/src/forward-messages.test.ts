import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeForwardMessage, encodeForwardMessage, MAX_REMOTE_FORWARDS, type ForwardMessage } from './forward-messages.js';

const host = fc.string({ minLength: 1, maxLength: 40 });
const port = fc.integer({ min: 1, max: 65535 });
const message: fc.Arbitrary<ForwardMessage> = fc.oneof(
  fc.record({ type: fc.constant('forwarding' as const), agent: fc.boolean(), remote: fc.array(fc.record({ bindHost: host, bindPort: port }), { maxLength: 5 }) }),
  fc.record({ type: fc.constant('remote-forward' as const), bindHost: host, bindPort: port }),
  fc.record({ type: fc.constant('remote-forward' as const), bindHost: host, bindPort: port, error: fc.string({ maxLength: 100 }) }),
  fc.record({ type: fc.constant('agent' as const), available: fc.boolean() }),
);

describe('forwarding control messages', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeForwardMessage(encodeForwardMessage(m))).toEqual(m);
      }),
    );
  });

  it('ignore anything malformed rather than trust part of it', () => {
    for (const text of [
      'not json',
      'null',
      '{"type":"forwarding","agent":"yes","remote":[]}',
      '{"type":"forwarding","agent":true,"remote":[{"bindHost":"h","bindPort":0}]}',
      '{"type":"forwarding","agent":true,"remote":[{"bindHost":"","bindPort":80}]}',
      '{"type":"remote-forward","bindHost":"h","bindPort":80,"error":5}',
      '{"type":"agent"}',
      '{"type":"shell","command":"rm -rf /"}',
      JSON.stringify({ type: 'forwarding', agent: false, remote: Array.from({ length: MAX_REMOTE_FORWARDS + 1 }, (_, i) => ({ bindHost: 'h', bindPort: i + 1 })) }),
    ]) {
      expect(decodeForwardMessage(text), text).toBeUndefined();
    }
    fc.assert(fc.property(fc.string(), (text) => void decodeForwardMessage(text)));
  });
});
