import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { waitUntil } from '@tsmosh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkDirection, deriveSeed, parseLinkSpec } from './index.js';
import { startUdpProxy, type UdpEndpoint, type UdpProxy } from './udp-proxy.js';

/** Everything a test opens, closed after it whatever happens. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Peer {
  socket: dgram.Socket;
  address: UdpEndpoint;
  received: Array<{ text: string; from: UdpEndpoint; at: number }>;
  /** Resolves once `count` datagrams have arrived in all; rejects after `limitMs` so a broken proxy fails fast. */
  waitFor(count: number, limitMs?: number): Promise<void>;
  send(text: string, to: UdpEndpoint): void;
}

async function openPeer(onMessage?: (peer: Peer, text: string, from: UdpEndpoint) => void): Promise<Peer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const peer: Peer = {
    socket,
    address: { host: '127.0.0.1', port: socket.address().port },
    received: [],
    waitFor(count, limitMs = 10_000) {
      if (peer.received.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`waited ${limitMs} ms for ${count} datagrams, got ${peer.received.length}`)),
          limitMs,
        );
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    send(text, to) {
      socket.send(text, to.port, to.host);
    },
  };
  socket.on('message', (message, rinfo) => {
    const from = { host: rinfo.address, port: rinfo.port };
    peer.received.push({ text: message.toString(), from, at: performance.now() });
    onMessage?.(peer, message.toString(), from);
    for (const waiter of waiters.filter((w) => peer.received.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return peer;
}

/** A target that answers every datagram with "echo:<text>". */
function openEchoServer(): Promise<Peer> {
  return openPeer((peer, text, from) => peer.send(`echo:${text}`, from));
}

async function proxyTo(target: Peer, profile: string, seed = 1): Promise<UdpProxy> {
  const proxy = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target: target.address, profile, seed });
  cleanups.push(() => proxy.close());
  return proxy;
}

describe('startUdpProxy', () => {
  it('forwards both ways on a perfect link, and counts every datagram', async () => {
    const server = await openEchoServer();
    const proxy = await proxyTo(server, '');
    const client = await openPeer();
    for (let batch = 0; batch < 200; batch += 50) {
      for (let i = batch; i < batch + 50; i++) client.send(`m${i}`, proxy.address);
      await client.waitFor(batch + 50); // in batches, so no kernel socket buffer overflows
    }
    expect(client.received.map((r) => r.text)).toEqual(Array.from({ length: 200 }, (_, i) => `echo:m${i}`));
    expect(client.received.every((r) => r.from.port === proxy.address.port)).toBe(true);
    expect(server.received.every((r) => r.from.port === proxy.upstreamAddress.port)).toBe(true);
    expect(proxy.stats.up).toMatchObject({ submitted: 200, delivered: 200, forwarded: 200, overflow: 0 });
    expect(proxy.stats.down).toMatchObject({ submitted: 200, delivered: 200, forwarded: 200, overflow: 0 });
    expect(proxy.stats.clientAddress).toEqual(client.address);
  });

  it('drops exactly the datagrams the seeded model drops', async () => {
    const seed = 1234;
    const server = await openPeer();
    const proxy = await proxyTo(server, 'up.loss=30%', seed);
    const client = await openPeer();
    const n = 300;
    // The model's decisions depend only on the order of submissions, which loopback preserves.
    const model = new LinkDirection(parseLinkSpec('loss=30%').up, { seed: deriveSeed(seed, 1) });
    const expected: string[] = [];
    for (let i = 0; i < n; i++) if (model.submit(`d${i}`.length, 0).length > 0) expected.push(`d${i}`);
    // Sent in batches of 50 so that the kernel's socket buffer (about 200 kB here) never overflows: a kernel
    // drop would be a loss the model did not decide.
    for (let batch = 0; batch < n; batch += 50) {
      for (let i = batch; i < batch + 50; i++) client.send(`d${i}`, proxy.address);
      await waitUntil(() => proxy.stats.up.submitted === batch + 50, 'the batch at the proxy');
    }
    // A marker after a lossless switch: once it arrives, every datagram before it has been forwarded or dropped.
    proxy.setProfile('');
    client.send('marker', proxy.address);
    await server.waitFor(expected.length + 1);
    expect(server.received.map((r) => r.text)).toEqual([...expected, 'marker']);
    expect(proxy.stats.up.dropped.loss).toBe(n - expected.length);
  });

  it('delays each direction by at least the configured delay', async () => {
    const server = await openEchoServer();
    const proxy = await proxyTo(server, 'delay=30ms');
    const client = await openPeer();
    const sentAt: number[] = [];
    for (let i = 0; i < 5; i++) {
      sentAt.push(performance.now());
      client.send(`p${i}`, proxy.address);
      await client.waitFor(i + 1);
    }
    // A lower bound only: the emulated delay can be exceeded on a busy machine but never undercut.
    client.received.forEach((r, i) => expect(r.at - sentAt[i]!).toBeGreaterThanOrEqual(60 - 1));
  });

  it('replies to whichever client address sent last (roaming)', async () => {
    const server = await openEchoServer();
    const proxy = await proxyTo(server, 'delay=1ms');
    const oldClient = await openPeer();
    const newClient = await openPeer();
    oldClient.send('from-old', proxy.address);
    await oldClient.waitFor(1);
    newClient.send('from-new', proxy.address);
    await newClient.waitFor(1);
    // The server answers both again; only the newest client address hears it.
    server.send('late', proxy.upstreamAddress);
    await newClient.waitFor(2);
    expect(newClient.received.map((r) => r.text)).toEqual(['echo:from-new', 'late']);
    expect(oldClient.received.map((r) => r.text)).toEqual(['echo:from-old']);
    expect(proxy.stats.clientAddress).toEqual(newClient.address);
    expect(proxy.stats.clientAddressChanges).toBe(1);
  });

  it('drops everything during a run-time blackout and nothing after it', async () => {
    const server = await openPeer();
    const proxy = await proxyTo(server, 'delay=2ms');
    const client = await openPeer();
    proxy.setBlackout(true);
    for (let i = 0; i < 20; i++) client.send(`dark${i}`, proxy.address);
    await waitUntil(() => proxy.stats.up.submitted === 20, 'twenty datagrams at the proxy');
    proxy.setBlackout(false);
    for (let i = 0; i < 5; i++) client.send(`light${i}`, proxy.address);
    await server.waitFor(5);
    expect(server.received.map((r) => r.text)).toEqual(['light0', 'light1', 'light2', 'light3', 'light4']);
    expect(proxy.stats.up.dropped.blackout).toBe(20);
  });

  it('makes the target see a new source port after rebindUpstream', async () => {
    const server = await openEchoServer();
    const proxy = await proxyTo(server, '');
    const client = await openPeer();
    client.send('before', proxy.address);
    await client.waitFor(1);
    const before = proxy.upstreamAddress;
    await proxy.rebindUpstream();
    client.send('after', proxy.address);
    await client.waitFor(2);
    expect(proxy.upstreamAddress.port).not.toBe(before.port);
    expect(server.received.map((r) => r.from.port)).toEqual([before.port, proxy.upstreamAddress.port]);
    expect(client.received.map((r) => r.text)).toEqual(['echo:before', 'echo:after']);
  });

  it('ignores datagrams from anyone but the target on the upstream side, and target datagrams before any client', async () => {
    const server = await openPeer();
    const proxy = await proxyTo(server, '');
    const stranger = await openPeer();
    stranger.send('intruder', proxy.upstreamAddress);
    server.send('too-early', proxy.upstreamAddress);
    await waitUntil(() => proxy.stats.foreign === 1 && proxy.stats.noClientYet === 1, 'the foreign and the early datagram counted');
    expect(proxy.stats.down.submitted).toBe(0);
  });

  it('refuses a bad spec with the LinkSpecError a user would see', async () => {
    const server = await openPeer();
    await expect(startUdpProxy({ target: server.address, profile: 'loss=10', seed: 1 })).rejects.toThrow(/did you mean 10%/);
  });
});

