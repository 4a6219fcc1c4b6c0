import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

/**
 * The session's ssh-agent socket on the server: `<folder>/agent.sock`, where the folder is the session's own, made
 * 0700 and owned by the user (refused otherwise), and the socket is 0600. Its path is fixed for the life of the
 * session, so `SSH_AUTH_SOCK` in the session stays valid across roaming and reattach; what happens to a connection
 * (relayed to the current client's agent, or closed at once when none is attached) is the session's decision.
 */
export const AGENT_SOCKET_NAME = 'agent.sock';

export class AgentSocket {
  private constructor(
    readonly path: string,
    private readonly folder: string,
    private readonly server: Server,
  ) {}

  static async create(folder: string, onConnection: (socket: Socket) => void): Promise<AgentSocket> {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const stat = lstatSync(folder);
    const uid = process.getuid?.();
    if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) {
      throw new Error(`tsmosh-server: ${folder} is not a folder of our own; remove it and try again`);
    }
    chmodSync(folder, 0o700);
    const path = join(folder, AGENT_SOCKET_NAME);
    rmSync(path, { force: true });
    const server = createServer({ allowHalfOpen: true }, onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new Error(`tsmosh-server: cannot make the agent socket ${path}: ${error.message}`)));
      server.listen(path, () => resolve());
    });
    server.removeAllListeners('error');
    server.on('error', () => {});
    chmodSync(path, 0o600);
    return new AgentSocket(path, folder, server);
  }

  /** Stops listening and removes the socket and its folder. */
  close(): void {
    this.server.close();
    rmSync(this.folder, { recursive: true, force: true });
  }
}
