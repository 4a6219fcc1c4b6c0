/**
 * A TCP proxy through the emulated link (stream-model.ts): what `tsmosh --local --link` puts in front of the daemon's
 * TCP port, so the session's TCP carrier (its way around blocked UDP) crosses the same delay, rate and blackouts as
 * its datagrams. Without it, a blackout asked for with --link lasted only until the client moved to TCP, which went
 * straight to the daemon. Each direction of each connection keeps its bytes in order; none are lost.
 *
 *   client ──► [listen] ──up──► [connection to target] ──► target
 *   client ◄── [listen] ◄─down── [connection to target] ◄── target
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LinkProfile } from './model.js';
import { deriveSeed } from './prng.js';
import { parseLinkSpec } from './spec.js';
import { StreamDirection } from './stream-model.js';

export interface TcpProxyOptions {
  /** Where clients connect. Default 127.0.0.1 on an ephemeral port. */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Where the proxy connects for each client (the server). */
  readonly target: { readonly host: string; readonly port: number };
  /** The impairments, as a profile or a link spec string; of them a stream takes delay, jitter, rate and blackouts. */
  readonly profile: LinkProfile | string;
  /** Seeds the jitter; each connection's directions get seeds of their own derived from it. */
  readonly seed: number;
  /**
   * The moment (performance.now(), ms) blackout windows count from; default the proxy's start. Give the UDP proxy's
   * start so an outage covers both carriers at once.
   */
  readonly originMs?: number;
}

export interface TcpProxy {
  readonly address: { readonly host: string; readonly port: number };
  /** Connections accepted so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

/**
 * Bytes one direction may hold before it stops reading its source (bytes): a flood through a slow emulated rate then
 * waits in the sender's socket, as behind a real bottleneck, not in this process.
 */
const HOLD_HIGH_WATER_BYTES = 1024 * 1024;
/** Reading resumes once the direction holds less than this (bytes). */
const HOLD_LOW_WATER_BYTES = 256 * 1024;

/** Carries `from`'s bytes to `to` through `model`, each chunk when the model says it arrives. */
function pipeThrough(from: Socket, to: Socket, model: StreamDirection, clock: () => number): void {
  const held: Array<{ at: number; chunk: Buffer }> = [];
  let heldBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const deliver = (): void => {
    timer = undefined;
    const now = clock();
    while (held.length > 0 && held[0]!.at <= now) {
      const { chunk } = held.shift()!;
      heldBytes -= chunk.length;
      if (!to.destroyed) to.write(chunk);
    }
    if (heldBytes < HOLD_LOW_WATER_BYTES && from.isPaused()) from.resume();
    if (held.length > 0) arm();
    else if (ended && !to.destroyed) to.end();
  };
  const arm = (): void => {
    const next = held[0]!.at;
    if (timer !== undefined || next === Infinity) return;
    timer = setTimeout(deliver, Math.max(0, next - clock()));
  };
  from.on('data', (chunk: Buffer) => {
    held.push({ at: model.submit(chunk.length, clock()), chunk });
    heldBytes += chunk.length;
    if (heldBytes >= HOLD_HIGH_WATER_BYTES) from.pause();
    arm();
  });
  from.on('end', () => {
    ended = true;
    if (held.length === 0 && !to.destroyed) to.end();
  });
  from.on('close', () => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const profile = typeof options.profile === 'string' ? parseLinkSpec(options.profile) : options.profile;
  const origin = options.originMs ?? performance.now();
  const clock = (): number => performance.now() - origin;
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((client) => {
    const index = accepted++;
    const upstream = createConnection({ host: options.target.host, port: options.target.port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      // Either side failing ends both, as a broken path would.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => {
        sockets.delete(socket);
        (socket === client ? upstream : client).destroy();
      });
    }
    pipeThrough(client, upstream, new StreamDirection(profile.up, { seed: deriveSeed(options.seed, 2 * index + 1) }), clock);
    pipeThrough(upstream, client, new StreamDirection(profile.down, { seed: deriveSeed(options.seed, 2 * index + 2) }), clock);
  });
  const listen = options.listen ?? { host: '127.0.0.1', port: 0 };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('startTcpProxy: the listening socket has no address');
  return {
    address: { host: bound.address, port: bound.port },
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
