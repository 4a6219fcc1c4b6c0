import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cachedLiteralLookup } from '@tsmosh/forward';
import { SEND_ADDRESS_ENTRIES_MAX, SendHosts } from './send-address.js';

describe('SendHosts on a socket', () => {
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
