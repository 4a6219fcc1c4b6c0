import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { ipLiteralLookup } from './ip-literal-lookup.js';

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
