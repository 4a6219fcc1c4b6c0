import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RELAY_CHUNK_BYTES, RELAY_EXIT, RELAY_INPUT, RELAY_OUTPUT, RELAY_SIZE, outputDatagrams, relayDatagram, sizeDatagram, startRelayServer } from './node-relay.js';
import { relayCanRun } from './systems.js';

describe('node relay datagrams', () => {
  it('split a pty read into OUTPUT datagrams no larger than a chunk that rejoin to the read, in order', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5 * RELAY_CHUNK_BYTES }), (bytes) => {
        const datagrams = outputDatagrams(bytes);
        expect(datagrams.every((d) => d[0] === RELAY_OUTPUT && d.byteLength - 1 <= RELAY_CHUNK_BYTES && d.byteLength > 1)).toBe(true);
        expect(Buffer.concat(datagrams.map((d) => d.subarray(1)))).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('carry a window size as two big-endian uint16 after the SIZE byte', () => {
    expect([...sizeDatagram(300, 1)]).toEqual([RELAY_SIZE, 1, 44, 0, 1]);
  });
});

describe('relayCanRun', () => {
  it('accepts only links that neither lose nor reorder a datagram', () => {
    expect(relayCanRun('', false)).toBe(true);
    expect(relayCanRun('delay=10ms', false)).toBe(true);
    expect(relayCanRun('delay=10ms', true)).toBe(false); // a blackout drops what is sent in it
    expect(relayCanRun('delay=50ms,loss=1%', false)).toBe(false);
    expect(relayCanRun('delay=20ms,jitter=5ms', false)).toBe(false);
    expect(relayCanRun('delay=20ms,rate=1mbit', false)).toBe(false); // a full queue drops
  });
});

describe('node relay server', () => {
  it('runs its program in a pty sized by the client, writes INPUT to it, relays its output, and says EXIT when it ends', async () => {
    const server = await startRelayServer(['sh', '-c', 'read line; stty size; echo "got:$line"']);
    const socket = createSocket('udp4');
    const output: Buffer[] = [];
    let exited = false;
    socket.on('message', (message) => {
      if (message[0] === RELAY_OUTPUT) output.push(message.subarray(1));
      else if (message[0] === RELAY_EXIT) exited = true;
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const send = (datagram: Buffer): void => {
      socket.send(datagram, server.port, '127.0.0.1');
    };
    const text = (): string => Buffer.concat(output).toString();
    const until = async (done: () => boolean, what: string): Promise<void> => {
      for (const deadline = Date.now() + 10_000; !done(); await new Promise((r) => setTimeout(r, 10))) {
        if (Date.now() > deadline) throw new Error(`no ${what} within 10 s; output so far ${JSON.stringify(text())}`);
      }
    };
    try {
      // The size goes first, so the pty has it by the time the line is read (one socket, in order on loopback).
      send(sizeDatagram(100, 30));
      send(relayDatagram(RELAY_INPUT, Buffer.from('hello\r')));
      await until(() => text().includes('got:hello'), "the program's answer");
      await until(() => exited, 'EXIT datagram');
      await server.exited;
    } finally {
      socket.close();
      server.socket.close();
    }
    expect(text()).toMatch(/^hello\r\n30 100\r\ngot:hello\r\n$/); // the pty's echo of the line, then the program's output
  });

  it('refuses to start without a command', () => {
    expect(() => startRelayServer([])).toThrow(/no command given/);
  });
});
