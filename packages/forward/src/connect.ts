import { connect, type Socket } from 'node:net';
import { connectFailure } from './listen.js';

/** ms: an outgoing forwarded connection that has not connected by then is refused (the OS would wait minutes). */
export const FORWARD_CONNECT_TIMEOUT_MS = 15_000;

/**
 * Connects to a TCP host:port, or to a UNIX socket when `port` is undefined, half-open capable. Resolves with the
 * connected socket, or rejects with one line saying why not.
 */
export function connectTo(host: string, port: number | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = port === undefined ? connect({ path: host, allowHalfOpen: true }) : connect({ host, port, allowHalfOpen: true });
    socket.setTimeout(FORWARD_CONNECT_TIMEOUT_MS);
    const fail = (error: NodeJS.ErrnoException): void => {
      socket.destroy();
      reject(new Error(connectFailure(error, host, port ?? 0)));
    };
    socket.once('error', fail);
    socket.once('timeout', () => fail(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    socket.once('connect', () => {
      socket.removeListener('error', fail);
      // Until the bridge adds its own: an error in between must not become an uncaught exception.
      socket.on('error', () => {});
      socket.removeAllListeners('timeout');
      socket.setTimeout(0);
      resolve(socket);
    });
  });
}
