import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelTarget } from '@tsmosh/protocol';
import { AgentSocket } from './agent-socket.js';
import { ChannelEndpoint } from './channel-endpoint.js';
import { encodeForwardMessage } from './forward-messages.js';
import { ServerForwarding } from './server-forwarding.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A ServerForwarding with one link, a client end joined to it in memory, and a real agent socket in front. */
async function setup(presence: { present: boolean; expected: boolean }) {
  const opened: ChannelTarget[] = [];
  const log: string[] = [];
  const forwarding = new ServerForwarding({ clientPresent: () => presence.present, clientExpected: () => presence.expected, log: (line) => log.push(line), agentSocket: true });
  let queued = false;
  const wake = (): void => {
    if (queued) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      const now = performance.now();
      for (let round = 0; round < 3; round++) {
        for (const packet of server.poll(now)) client.receive(packet, now);
        for (const packet of client.poll(now)) server.receive(packet, now);
      }
    });
  };
  const server = forwarding.endpointFor('link-1', { maxPacketBytes: 1200, wake });
  forwarding.setCurrent('link-1');
  const client = new ChannelEndpoint({ role: 'client', maxPacketBytes: 1200, wake, onOpen: (_channel, target) => opened.push(target) });
  const directory = mkdtempSync(join(tmpdir(), 'tsmosh-server-forwarding-'));
  const agent = await AgentSocket.create(join(directory, 'agent'), (socket) => forwarding.onAgentConnection(socket));
  cleanups.push(() => {
    forwarding.close('test over');
    agent.close();
    rmSync(directory, { recursive: true, force: true });
  });
  return { forwarding, client, opened, log, agentPath: agent.path };
}

/** Connects to a UNIX socket, writes a request, and resolves with how the connection ended and how long that took. */
function knock(path: string): Promise<{ ended: 'end' | 'open'; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket: Socket = connect(path);
    socket.on('error', () => {});
    socket.on('connect', () => socket.write(Buffer.from([0, 0, 0, 1, 11])));
    socket.on('end', () => resolve({ ended: 'end', ms: performance.now() - started }));
    setTimeout(() => {
      socket.destroy();
      resolve({ ended: 'open', ms: performance.now() - started });
    }, 1500);
  });
}

describe('ServerForwarding', () => {
  it('ends an agent connection at once when no client is there', async () => {
    const { agentPath, forwarding, log } = await setup({ present: false, expected: false });
    const result = await knock(agentPath);
    expect(result.ended).toBe('end');
    expect(result.ms).toBeLessThan(1000);
    expect(forwarding.refusedConnections).toBe(1);
    expect(log.join('\n')).toMatch(/no client is attached/);
  });

  it('holds a connection made before the client said what it forwards, then serves it once the client asks for -A', async () => {
    const { agentPath, client, opened } = await setup({ present: true, expected: true });
    const pending = knock(agentPath);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(opened).toEqual([]); // waiting for the request
    client.sendMessage(encodeForwardMessage({ type: 'forwarding', agent: true, remote: [] }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(opened).toEqual([{ kind: 'agent' }]);
    expect((await pending).ended).toBe('open'); // relayed, so nothing ended it
  });

  it('ends it when the attached client did not ask for agent forwarding', async () => {
    const { agentPath, client, log } = await setup({ present: true, expected: true });
    client.sendMessage(encodeForwardMessage({ type: 'forwarding', agent: false, remote: [] }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await knock(agentPath)).ended).toBe('end');
    expect(log.join('\n')).toMatch(/did not ask for agent forwarding/);
  });
});
