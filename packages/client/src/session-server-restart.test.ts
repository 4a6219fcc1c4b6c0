/**
 * A new server process answering under the session's key (the server restarted without the session's state): the
 * client, which has let the acknowledged input go, ends the session in one line instead of throwing from its diff.
 * Real UDP on 127.0.0.1; each "server process" is a Connection and a Transport of its own on the same socket.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { Connection, SessionKey, Transport, clockDerivedInitialSeq } from '@tsmosh/protocol';
import { InputStream, ScreenState } from '@tsmosh/terminal';
import { waitUntil } from '@tsmosh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_RESTARTED_MESSAGE, connect } from './session.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server process as far as the wire goes: its own connection and transport under `key`, answering on `socket`. */
function serverProcess(socket: Socket, key: SessionKey): { transport: Transport<ScreenState, InputStream>; stop(): void } {
  const connection = new Connection({ role: 'server', key, random: (n) => new Uint8Array(randomBytes(n)), initialSeq: clockDerivedInitialSeq(Date.now()) });
  const transport = new Transport<ScreenState, InputStream>({ connection, initialLocal: ScreenState.zero(), initialRemote: InputStream.empty() });
  let timer: NodeJS.Timeout | undefined;
  const step = (): void => {
    const now = performance.now();
    for (const datagram of transport.tick(now)) socket.send(datagram.bytes, datagram.to.port, datagram.to.host);
    clearTimeout(timer);
    timer = setTimeout(step, Math.max(0, Math.min(1000, transport.nextWakeup(now) - now)));
  };
  const onMessage = (message: Buffer, remote: { address: string; port: number }): void => {
    transport.receive(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), { host: remote.address, port: remote.port }, performance.now());
    step();
  };
  socket.on('message', onMessage);
  return {
    transport,
    stop: () => {
      socket.off('message', onMessage);
      clearTimeout(timer);
    },
  };
}

/** The keys a server process has received, as text. */
function keysAt(server: { transport: Transport<ScreenState, InputStream> }): string {
  const decoder = new TextDecoder();
  return server.transport.remote.events.map((event) => (event.kind === 'keys' ? decoder.decode(event.bytes) : '')).join('');
}

describe('a server restarted under the session key', () => {
  it('ends the session in one line (server-gone) once the client has let acknowledged input go', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    const key = SessionKey.generate((n) => new Uint8Array(randomBytes(n)));
    const first = serverProcess(socket, key);
    cleanups.push(() => first.stop());
    const client = connect({ host: '127.0.0.1', port: socket.address().port, key: key.toString(), cols: 80, rows: 24 });
    cleanups.push(() => client.close());

    // Keys one at a time, each received, acknowledged, and the acknowledgement received (loopback loses nothing): the
    // next key the client takes is appended to its input without them (ClientSession.pushInput subtracts them).
    for (let written = 1; written <= 3; written++) {
      client.write('k');
      await waitUntil(() => keysAt(first) === 'k'.repeat(written), `key ${written} at the server`);
      const sentBefore = first.transport.stats.instructionsSent;
      await waitUntil(() => first.transport.stats.instructionsSent > sentBefore, `the acknowledgement of key ${written}`);
      const sent = first.transport.stats.instructionsSent;
      await waitUntil(() => (client.transportStats?.instructionsReceived ?? 0) >= sent, `the acknowledgement of key ${written} at the client`);
    }

    // The server process is replaced: same key, same port, nothing of the session.
    first.stop();
    const second = serverProcess(socket, key);
    cleanups.push(() => second.stop());
    client.write('after');
    const exit = await client.done;
    expect(exit).toEqual({ reason: 'server-gone', message: SERVER_RESTARTED_MESSAGE });
    expect(second.transport.stats.instructionsReceived).toBeGreaterThan(0);
  });
});
