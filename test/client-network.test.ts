import { describe, expect, it } from 'vitest';
import { startUdpProxy, type UdpProxy } from '@tsmosh/netem/udp';
import { connect } from '@tsmosh/client';
import { PtyProgram, READY, catWhenReady, clientTestSuite, startClient } from './client-harness.js';

/**
 * The client on bad networks: real client and server processes, real UDP through the netem lossy proxy on
 * 127.0.0.1. Seeds are fixed so a failure reproduces with the same drops.
 */

const suite = clientTestSuite();

async function proxyTo(port: number, profile: string, seed: number): Promise<UdpProxy> {
  const proxy = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port }, profile, seed });
  suite.track({ kill: () => void proxy.close() });
  return proxy;
}

async function sessionThroughProxy(profile: string, seed: number, command?: string[], env: Record<string, string> = {}): Promise<{ client: PtyProgram; proxy: UdpProxy }> {
  const session = await suite.workspace().newSession(command);
  const proxy = await proxyTo(session.port, profile, seed);
  const client = suite.track(startClient(suite.workspace(), { host: proxy.address.host, port: proxy.address.port, key: session.key }, { env }));
  return { client, proxy };
}

describe('tsmosh-client on a bad network', () => {
  it('works through 29 % loss in each direction: every keystroke arrives, in order, and the screen converges', async () => {
    const { client, proxy } = await sessionThroughProxy('loss=29%,delay=5ms', 29, catWhenReady());
    await client.waitForText(READY);
    const typed = 'the quick brown fox jumps over 0123456789';
    // One key at a time, each awaited on screen: every key is its own round trip through the lossy link (typing
    // them all at once would ride in one or two datagrams and prove little).
    for (let i = 1; i <= typed.length; i++) {
      client.type(typed[i - 1]!);
      const prefix = typed.slice(0, i).trimEnd(); // the screen reader trims trailing blanks
      await client.waitFor(`"${prefix}" echoed`, (lines) => lines.some((line) => line === prefix));
    }
    client.type('\r');
    await client.waitFor('the whole line echoed and printed by cat', (lines) => lines.filter((l) => l === typed).length === 2);
    // The link really was lossy in both directions (29 % of about a hundred datagrams each way).
    expect(proxy.stats.up.dropped.loss).toBeGreaterThan(0);
    expect(proxy.stats.down.dropped.loss).toBeGreaterThan(0);
    client.type('\x1e.');
    expect((await client.waitForExit()).exitCode).toBe(0);
  });

  it('survives the server seeing a new client source port mid-session (a NAT rebinding)', async () => {
    const { client, proxy } = await sessionThroughProxy('', 7);
    await client.waitForText('$');
    client.type('echo before-$((40+2))\r');
    await client.waitForText('before-42');
    const oldUpstream = proxy.upstreamAddress.port;
    await proxy.rebindUpstream();
    expect(proxy.upstreamAddress.port).not.toBe(oldUpstream);
    client.type('echo after-$((50+5))\r');
    await client.waitForText('after-55');
    client.type('exit\r');
    expect((await client.waitForExit()).exitCode).toBe(0);
  });

  it("follows the client's own source port change (connect() hops to a fresh socket mid-session)", async () => {
    const target = await suite.workspace().newSession(catWhenReady());
    const session = connect({ host: '127.0.0.1', port: target.port, key: target.key, cols: 80, rows: 24 });
    const screenHas = (text: string): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          const rows = session.screen.lines.map((row) => row.cells.map((cell) => cell.text || ' ').join('').trimEnd());
          if (rows.includes(text)) {
            session.off('screen', check);
            resolve();
          }
        };
        session.on('screen', check);
        check();
      });
    session.write('one\r');
    await screenHas('one');
    const before = session.status.localPort;
    await session.changeSourcePort();
    expect(session.status.localPort).not.toBe(before);
    session.write('two\r');
    await screenHas('two');
    const exit = await session.close();
    expect(exit.reason).toBe('user');
  });

  it('predicts typing while the server cannot answer (TSMOSH_PREDICTION_DISPLAY=always), then converges on the real echo', async () => {
    const { client, proxy } = await sessionThroughProxy('', 3, catWhenReady(), { TSMOSH_PREDICTION_DISPLAY: 'always' });
    await client.waitForText(READY);
    // A first echo confirms the epoch, so later keys in it may be shown before the server answers.
    client.type('a');
    await client.waitFor('the real echo of "a"', (lines) => lines[1] === 'a');
    proxy.setBlackout(true);
    client.type('bcd');
    // Nothing can cross the link now: only the prediction engine can have drawn these.
    await client.waitFor('predicted "abcd"', (lines) => lines[1] === 'abcd');
    expect(proxy.stats.up.dropped.blackout).toBeGreaterThan(0);
    proxy.setBlackout(false);
    client.type('\r');
    await client.waitFor('cat printing the line back', (lines) => lines[1] === 'abcd' && lines[2] === 'abcd');
    client.type('\x1e.');
    expect((await client.waitForExit()).exitCode).toBe(0);
  });

  it('catches up after a 30 s blackout: the status line counts the silence, then clears', async () => {
    const { client, proxy } = await sessionThroughProxy('', 30);
    await client.waitForText('$');
    client.type('echo start\r');
    await client.waitForText('start');
    proxy.setBlackout(true);
    const blackoutStarted = Date.now();
    // Typed during the outage: must arrive once contact returns.
    client.type('echo typed-in-the-dark-$((3*3))\r');
    await client.waitForText(/tsmosh: Last contact \d+ seconds ago\. \[To quit: Ctrl-\^ \.\]/);
    await client.waitForText(/Last contact (2\d|3\d) seconds ago/, 60_000);
    // Hold the outage for a full 30 s (the scenario asks for it), however fast the status line showed.
    const remaining = 30_000 - (Date.now() - blackoutStarted);
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
    proxy.setBlackout(false);
    await client.waitForText('typed-in-the-dark-9');
    await client.waitFor('the status line to clear', (lines) => !lines.join('\n').includes('Last contact'));
    // With no round trip for over 10 s the client opened fresh source ports (mosh's port hopping); the proxy saw them.
    expect(proxy.stats.clientAddressChanges).toBeGreaterThan(0);
    client.type('exit\r');
    expect((await client.waitForExit()).exitCode).toBe(0);
  }, 120_000);

  it("quit during an outage leaves the session's top row, not the status line, in the terminal", async () => {
    // 60 numbered lines and READY: the window (24 rows) shows the last of them, one under the status line's row.
    const { client, proxy } = await sessionThroughProxy('', 5, ['sh', '-c', `seq 1 60; echo ${READY}; exec cat`]);
    await client.waitForText(READY);
    proxy.setBlackout(true);
    await client.waitForText(/tsmosh: Last contact \d+ seconds ago/);
    client.type('\x1e.');
    await client.waitForExit();
    // Everything the terminal holds, its history first: every number once, in order, and the bar nowhere.
    const lines = await client.allLines();
    expect(lines.join('\n')).not.toContain('Last contact');
    const numbers = lines.filter((line) => /^\d+$/.test(line)).map(Number);
    expect(numbers).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  }, 60_000);
});
