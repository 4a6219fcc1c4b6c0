import { chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentSocket } from './agent-socket.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function root(): string {
  const path = mkdtempSync(join(tmpdir(), 'tsmosh-agent-socket-'));
  roots.push(path);
  return path;
}

describe('AgentSocket', () => {
  it('is a 0600 socket in a 0700 folder of our own, takes connections, and leaves nothing when closed', async () => {
    const folder = join(root(), 'agent', 'work');
    const connections: number[] = [];
    const socket = await AgentSocket.create(folder, (connection) => {
      connections.push(1);
      connection.end();
    });
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(socket.path).mode & 0o777).toBe(0o600);
    expect(statSync(socket.path).isSocket()).toBe(true);
    await new Promise<void>((resolve) => connect(socket.path).on('end', resolve).on('error', resolve));
    expect(connections).toHaveLength(1);
    socket.close();
    expect(() => statSync(folder)).toThrow();
  });

  it('tightens a folder that exists with a loose mode, and refuses one owned by someone else', async () => {
    const loose = join(root(), 'loose');
    mkdirSync(loose, { mode: 0o777 });
    const socket = await AgentSocket.create(loose, (connection) => connection.destroy());
    expect(statSync(loose).mode & 0o777).toBe(0o700);
    socket.close();
    if (process.getuid?.() !== 0) return; // only root can give a folder away to test the refusal
    const foreign = join(root(), 'foreign');
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 65534, 65534);
    await expect(AgentSocket.create(foreign, () => {})).rejects.toThrow(/is not a folder of our own; remove it and try again/);
  });
});
