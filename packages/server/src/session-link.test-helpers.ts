/**
 * A Session under a manual clock with a client Transport linked to it by a link with no delay: the loop the session
 * tests under a manual clock share (session-echo.test.ts, session-input-pacing.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { Connection, SessionKey, Transport, type OutgoingDatagram, type PeerAddress } from '@tsmosh/protocol';
import { InputStream, ScreenState } from '@tsmosh/terminal';
import { Session, type SessionInit, type SessionPty } from './session.js';
import { ManualTimer } from './manual-timer.test-helpers.js';

const random = (length: number): Uint8Array => new Uint8Array(randomBytes(length));
const CLIENT: PeerAddress = { host: '192.0.2.7', port: 40000 };
const SERVER: PeerAddress = { host: '192.0.2.1', port: 60001 };

/** `init`: what the session is made with beyond its pty, key, link and clock (a transport policy, a rule off). */
export function linkedSession(pty: SessionPty, clock: { now: number }, init: Partial<SessionInit> = {}) {
  const timer = new ManualTimer(clock);
  const key = SessionKey.generate(random);
  const toClient: OutgoingDatagram[] = [];
  let datagramsToClient = 0;
  const session = new Session({
    ...init,
    key,
    pty,
    send: (d) => {
      datagramsToClient++;
      toClient.push(d);
    },
    clock: () => clock.now,
    timer,
  });
  const client = new Transport<InputStream, ScreenState>({
    connection: new Connection({ role: 'client', key, random, initialSeq: 1n, serverAddress: SERVER }),
    initialLocal: InputStream.empty(),
    initialRemote: ScreenState.zero(),
    timing: { collectionIntervalMs: 0 },
  });
  /** Delivers everything in flight both ways at the current time. */
  const exchange = (): void => {
    for (let round = 0; round < 3; round++) {
      for (const d of client.tick(clock.now)) session.receive(d.bytes, CLIENT);
      for (const d of toClient.splice(0)) client.receive(d.bytes, SERVER, clock.now);
    }
  };
  /** Moves the clock to `time` (the session's timer firing on the way), then delivers what is in flight. */
  const at = (time: number): void => {
    timer.advanceTo(time);
    exchange();
  };
  /** Datagrams the session has sent its client so far (frames, acknowledgements). */
  const sentToClient = (): number => datagramsToClient;
  return { session, client, timer, exchange, at, sentToClient };
}
