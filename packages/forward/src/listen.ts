import { createServer, type Server, type Socket } from 'node:net';
import { formatHostPort } from './forward-spec.js';

/**
 * Listens for TCP connections at host:port (host undefined = every address). Resolves once listening; rejects with
 * a one-line reason ("address in use", "permission denied") a user can act on. Connections are half-open capable:
 * a peer that stops sending may still receive (ssh carries half-closes too).
 */
export function listenTcp(host: string | undefined, port: number, onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, onConnection);
    server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(listenFailure(error, host, port))));
    server.listen({ host, port, exclusive: true }, () => {
      server.removeAllListeners('error');
      // A later error (rare: the interface went away) must not crash the process.
      server.on('error', () => {});
      resolve(server);
    });
  });
}

function listenFailure(error: NodeJS.ErrnoException, host: string | undefined, port: number): string {
  const where = formatHostPort(host ?? '*', port);
  switch (error.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the address is already in use`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need root)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: no such local address`;
    default:
      return `cannot listen on ${where}: ${error.message}`;
  }
}

/** One line for a failed outgoing connection. */
export function connectFailure(error: NodeJS.ErrnoException, host: string, port: number): string {
  const where = formatHostPort(host, port);
  switch (error.code) {
    case 'ECONNREFUSED':
      return `connect to ${where} failed: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `connect to ${where} failed: unknown host`;
    case 'ETIMEDOUT':
      return `connect to ${where} failed: timed out`;
    case 'ENOENT':
      return `connect to ${host} failed: no such socket`;
    default:
      return `connect to ${where} failed: ${error.code ?? error.message}`;
  }
}
