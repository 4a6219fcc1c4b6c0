import { describe, expect, it } from 'vitest';
import { startUdpProxy, type UdpProxy } from '@tsmosh/netem/udp';
import { clientTestSuite, startClient } from './client-harness.js';

/**
 * The way through blocked UDP, end to end: the real daemon (listening on UDP and on TCP of the same port number),
 * the real tsmosh-client in a pty, and UDP between them through the netem proxy, whose blackout stands for a
 * firewall dropping UDP. TCP goes straight to the daemon's port (TSMOSH_TCP_PORT), as it would through a firewall
 * that lets TCP pass.
 */

const suite = clientTestSuite();

async function sessionWithBlockableUdp(blockedAtStart: boolean, transport = 'auto'): Promise<{ client: ReturnType<typeof startClient>; proxy: UdpProxy }> {
  const session = await suite.workspace().newSession();
  const proxy = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: session.port }, profile: '', seed: 1 });
  suite.track({ kill: () => void proxy.close() });
  proxy.setBlackout(blockedAtStart);
  const client = suite.track(
    startClient(suite.workspace(), { host: proxy.address.host, port: proxy.address.port, key: session.key }, { env: { TSMOSH_TRANSPORT: transport, TSMOSH_TCP_PORT: String(session.port) } }),
  );
  return { client, proxy };
}

describe('tsmosh-client when UDP is blocked', () => {
  it('starts over TCP when UDP is blocked from the start, works, and returns to UDP once it is unblocked', async () => {
    const { client, proxy } = await sessionWithBlockableUdp(true);
    await client.waitForText('UDP is blocked; the session goes on over TCP port');
    await client.waitForText('$');
    client.type('echo over-tcp-$((6*7))\r');
    await client.waitForText('over-tcp-42');
    // Nothing came through UDP: the proxy dropped every datagram the client tried there.
    expect(proxy.stats.down.forwarded).toBe(0);
    expect(proxy.stats.up.dropped.blackout).toBeGreaterThan(0);

    proxy.setBlackout(false);
    // Within one probe interval (10 s) a datagram goes by UDP, the server answers by UDP, and the client moves back.
    await client.waitForText('the session is back on UDP', 20_000);
    const forwardedBefore = proxy.stats.down.forwarded;
    client.type('echo over-udp-$((50+5))\r');
    await client.waitForText('over-udp-55');
    expect(proxy.stats.down.forwarded).toBeGreaterThan(forwardedBefore);
    client.type('exit\r');
    expect((await client.waitForExit()).exitCode).toBe(0);
  });

  it('runs over TCP alone with --transport=tcp (TSMOSH_TRANSPORT=tcp), never trying UDP', async () => {
    const { client, proxy } = await sessionWithBlockableUdp(true, 'tcp');
    await client.waitForText('$');
    client.type('echo forced-tcp-$((7*6))\r');
    await client.waitForText('forced-tcp-42');
    expect(proxy.stats.up.dropped.blackout + proxy.stats.up.forwarded).toBe(0);
    expect((await client.screenText()).includes('UDP is blocked')).toBe(false);
    client.type('exit\r');
    expect((await client.waitForExit()).exitCode).toBe(0);
  });

  it('moves to TCP when UDP stops mid-session and keeps the session', async () => {
    const { client, proxy } = await sessionWithBlockableUdp(false);
    await client.waitForText('$');
    client.type('echo before-$((40+2))\r');
    await client.waitForText('before-42');
    expect(proxy.stats.down.forwarded).toBeGreaterThan(0);
    proxy.setBlackout(true);
    await client.waitForText('UDP is blocked; the session goes on over TCP port', 20_000);
    client.type('echo during-$((60+6))\r');
    await client.waitForText('during-66');
    client.type('exit\r');
    expect((await client.waitForExit()).exitCode).toBe(0);
  });
});
