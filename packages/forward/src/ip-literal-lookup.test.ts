import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cachedLiteralLookup, ipLiteralLookup, LITERAL_LOOKUP_ENTRIES_MAX } from './ip-literal-lookup.js';

function lookupNow(lookup: ReturnType<typeof cachedLiteralLookup>, host: string): [string, number] | undefined {
  let answer: [string, number] | undefined;
  lookup(host, {}, (error, address, family) => {
    if (error === null) answer = [address, family];
  });
  return answer;
}

describe('ipLiteralLookup', () => {
  it('answers an IPv4 or IPv6 literal within the call, and a name through dns.lookup', async () => {
    const answers: Array<[string, number]> = [];
    ipLiteralLookup('127.0.0.1', {}, (error, address, family) => answers.push([address, family]));
    ipLiteralLookup('::1', {}, (error, address, family) => answers.push([address, family]));
    expect(answers).toEqual([['127.0.0.1', 4], ['::1', 6]]);
    const named = await new Promise<[string, number]>((resolve, reject) => {
      let sync = true;
      ipLiteralLookup('localhost', { family: 4 }, (error, address, family) => (error !== null ? reject(error) : resolve([address, family])));
      expect(sync).toBe(true); // the name's answer has not come yet: it is dns.lookup's, asynchronous
      sync = false;
    });
    expect(named).toEqual(['127.0.0.1', 4]);
  });

  it('lets a dgram send to a literal resolve within send, so the datagram leaves before send returns', async () => {
    const receiver = createSocket('udp4');
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
    // Watch the lookup dgram makes for the send: answered inside the call, the datagram goes out then and there.
    let answered = 0;
    const sender = createSocket({
      type: 'udp4',
      lookup: (hostname, options, callback) =>
        ipLiteralLookup(hostname, options, (error, address, family) => {
          answered++;
          callback(error, address, family);
        }),
    });
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
    try {
      const got = new Promise<string>((resolve) => receiver.once('message', (message) => resolve(message.toString())));
      const before = answered;
      sender.send('ping', receiver.address().port, '127.0.0.1');
      expect(answered - before).toBe(1);
      expect(await got).toBe('ping');
    } finally {
      sender.close();
      receiver.close();
    }
  });
});

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
    for (let i = 0; i < LITERAL_LOOKUP_ENTRIES_MAX + 10; i++) {
      const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      expect(lookupNow(lookup, host)).toEqual([host, 4]);
    }
    expect(lookupNow(lookup, '10.0.0.1')).toEqual(['10.0.0.1', 4]);
  });
});
