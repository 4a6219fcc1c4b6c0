import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SEND_ADDRESS_ENTRIES_MAX, SendHosts, cachedLiteralLookup } from './send-address.js';

function lookupNow(lookup: ReturnType<typeof cachedLiteralLookup>, host: string): [string, number] | undefined {
  let answer: [string, number] | undefined;
  lookup(host, {}, (error, address, family) => {
    if (error === null) answer = [address, family];
  });
  return answer;
}

describe('cachedLiteralLookup', () => {
  it('answers IPv4 and IPv6 literals within the call, the same family however often asked', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((v4) => `::ffff:${v4}`)), { minLength: 1, maxLength: 30 }), (hosts) => {
        const lookup = cachedLiteralLookup();
        for (const host of [...hosts, ...hosts]) {
          expect(lookupNow(lookup, host)).toEqual([host, host.includes(':') ? 6 : 4]);
        }
      }),
    );
  });

  it('sends a name to dns.lookup every time (asynchronously), never remembering it', async () => {
    const lookup = cachedLiteralLookup();
    for (let round = 0; round < 2; round++) {
      let answered = false;
      const answer = new Promise<[string, number]>((resolve, reject) => {
        lookup('localhost', { family: 4 }, (error, address, family) => {
          answered = true;
          if (error !== null) reject(error);
          else resolve([address, family]);
        });
      });
      expect(answered).toBe(false);
      expect(await answer).toEqual(['127.0.0.1', 4]);
    }
  });

  it('keeps answering past its bound (the map is emptied, not grown)', () => {
    const lookup = cachedLiteralLookup();
    for (let i = 0; i < SEND_ADDRESS_ENTRIES_MAX + 10; i++) {
      const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      expect(lookupNow(lookup, host)).toEqual([host, 4]);
    }
    expect(lookupNow(lookup, '10.0.0.1')).toEqual(['10.0.0.1', 4]);
  });

  it('lets a dual-stack socket send to an IPv4 peer in its mapped form', async () => {
    const receiver = createSocket('udp4');
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
    const sender = createSocket({ type: 'udp6', ipv6Only: false, lookup: cachedLiteralLookup() });
    await new Promise<void>((resolve) => sender.bind(0, '::', resolve));
    try {
      const hosts = new SendHosts(true);
      for (const text of ['one', 'two']) {
        const got = new Promise<string>((resolve) => receiver.once('message', (message) => resolve(message.toString())));
        sender.send(text, receiver.address().port, hosts.hostFor('127.0.0.1'));
        expect(await got).toBe(text);
      }
    } finally {
      sender.close();
      receiver.close();
    }
  });
});

describe('SendHosts', () => {
  it('maps IPv4 peers to ::ffff: on a dual-stack socket, leaves IPv6 peers and every peer of an IPv4 socket alone', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.ipV4(), fc.ipV6()), { minLength: 1, maxLength: 30 }), (hosts) => {
        const dual = new SendHosts(true);
        const plain = new SendHosts(false);
        for (const host of [...hosts, ...hosts]) {
          expect(dual.hostFor(host)).toBe(host.includes(':') ? host : `::ffff:${host}`);
          expect(plain.hostFor(host)).toBe(host);
        }
      }),
    );
  });

  it('keeps mapping past its bound', () => {
    const hosts = new SendHosts(true);
    for (let i = 0; i < SEND_ADDRESS_ENTRIES_MAX + 10; i++) hosts.hostFor(`10.0.${(i >> 8) & 255}.${i & 255}`);
    expect(hosts.hostFor('192.0.2.1')).toBe('::ffff:192.0.2.1');
  });
});
