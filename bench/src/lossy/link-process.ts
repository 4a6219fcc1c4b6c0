/**
 * One emulated link, in a process of its own so that the benchmark driver's terminal parsing never delays a
 * datagram: either the netem UDP proxy (tsmosh, mosh) or a forwarder between two TUN devices (ssh's TCP), both
 * applying `@tsmosh/netem`'s seeded `Link` model. Started by link-host.ts:
 *
 *   node link-process.js '<LinkProcessConfig as JSON>'
 *
 * For TUN, a small perl stub opens the two devices (Node has no ioctl) and execs this file with the descriptors
 * inherited. Commands arrive on stdin, one per line: `blackout on`, `blackout off`, `stats`. Answers are JSON lines
 * on stdout: `{"ready":…}` once, then `{"stats":…}` per request. Closing stdin ends the process.
 */
import { read, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Link, parseLinkSpec } from '@tsmosh/netem';
import { startUdpProxy, type UdpProxy } from '@tsmosh/netem/udp';

export interface LinkProcessConfig {
  readonly spec: string;
  readonly seed: number;
  /** UDP mode: forward from an ephemeral 127.0.0.1 port to this target. */
  readonly udpTarget?: { readonly host: string; readonly port: number };
  /** TUN mode: the inherited descriptors of the client-side and the server-side device. */
  readonly tunFds?: { readonly client: number; readonly server: number };
}

/** What both modes report, counted on the same basis: IP packets, bytes including IP (and UDP) headers. */
export interface LinkTraffic {
  /** Packets handed to the model client → server, and their bytes. */
  upPackets: number;
  upBytes: number;
  downPackets: number;
  downBytes: number;
  /** Packets the model dropped (loss, burst, blackout, queue), both directions. */
  dropped: number;
}

/** IPv4 (20 bytes) + UDP (8 bytes) headers: the proxy sees UDP payloads, the TUN sees whole IP packets. */
const IPV4_UDP_HEADER_BYTES = 28;
/** Largest packet read from a TUN device: its MTU is 1500; 64 KiB covers any setting. */
const TUN_READ_BYTES = 65_536;

function send(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function runUdp(config: LinkProcessConfig): Promise<{ traffic(): LinkTraffic; setBlackout(on: boolean): void; close(): Promise<void> }> {
  const proxy: UdpProxy = await startUdpProxy({ target: config.udpTarget!, profile: config.spec, seed: config.seed });
  send({ ready: { address: proxy.address } });
  return {
    traffic() {
      const { up, down } = proxy.stats;
      const dropped = (d: typeof up): number => d.dropped.blackout + d.dropped.loss + d.dropped.burst + d.dropped.queue + d.overflow;
      return {
        upPackets: up.submitted,
        upBytes: up.submittedBytes + IPV4_UDP_HEADER_BYTES * up.submitted,
        downPackets: down.submitted,
        downBytes: down.submittedBytes + IPV4_UDP_HEADER_BYTES * down.submitted,
        dropped: dropped(up) + dropped(down),
      };
    },
    setBlackout: (on) => proxy.setBlackout(on),
    close: () => proxy.close(),
  };
}

function runTun(config: LinkProcessConfig): { traffic(): LinkTraffic; setBlackout(on: boolean): void; close(): Promise<void> } {
  const { client, server } = config.tunFds!;
  const startedAt = performance.now();
  const link = new Link(parseLinkSpec(config.spec), { seed: config.seed, originMs: 0 });
  let closed = false;
  /** Packets scheduled on a timer and not yet written, per direction: a due packet may skip the timer only if none. */
  const waiting = { up: 0, down: 0 };
  // Client-side device → model's up direction → written into the server-side device, and the reverse.
  const pump = (fromFd: number, toFd: number, direction: 'up' | 'down'): void => {
    const buffer = Buffer.alloc(TUN_READ_BYTES);
    const next = (): void => {
      read(fromFd, buffer, 0, buffer.length, null, (error, length) => {
        if (closed) return;
        if (error !== null) {
          process.stderr.write(`link-process: reading the ${direction === 'up' ? 'client' : 'server'} TUN device failed: ${error.message}\n`);
          return;
        }
        const packet = Buffer.from(buffer.subarray(0, length));
        const now = performance.now() - startedAt;
        for (const at of link[direction].submit(packet.length, now)) {
          // Due now with nothing still waiting ahead of it: forward in this turn (a timer fires a millisecond later
          // at best), as the UDP proxy does, so neither kind of path pays a timer on a link without delay.
          if (at <= now && waiting[direction] === 0) {
            try {
              writeSync(toFd, packet);
            } catch {
              // as below: the packet is lost
            }
            continue;
          }
          waiting[direction]++;
          const deliver = (): void => {
            if (closed) return;
            // Node may fire a timer up to a millisecond early (it counts whole ms): the model's delay is a floor, as
            // in the UDP proxy, so an echo can never come back sooner than the round-trip delay.
            const early = at - (performance.now() - startedAt);
            if (early > 0) {
              setTimeout(deliver, early);
              return;
            }
            waiting[direction]--;
            try {
              writeSync(toFd, packet);
            } catch {
              // The device went away (the run is ending) or its queue is full: the packet is lost, as on a wire.
            }
          };
          setTimeout(deliver, Math.max(0, at - (performance.now() - startedAt)));
        }
        next();
      });
    };
    next();
  };
  pump(client, server, 'up');
  pump(server, client, 'down');
  send({ ready: { tun: true } });
  return {
    traffic() {
      const dropped = (d: typeof link.up.counters): number => d.dropped.blackout + d.dropped.loss + d.dropped.burst + d.dropped.queue;
      return {
        upPackets: link.up.counters.submitted,
        upBytes: link.up.counters.submittedBytes,
        downPackets: link.down.counters.submitted,
        downBytes: link.down.counters.submittedBytes,
        dropped: dropped(link.up.counters) + dropped(link.down.counters),
      };
    },
    setBlackout: (on) => link.setBlackout(on),
    async close() {
      closed = true;
    },
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as LinkProcessConfig;
  const link = config.tunFds !== undefined ? runTun(config) : await runUdp(config);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = line.trim();
    if (command === 'blackout on') link.setBlackout(true);
    else if (command === 'blackout off') link.setBlackout(false);
    else if (command === 'stats') send({ stats: link.traffic() });
    else process.stderr.write(`link-process: unknown command "${command}" (blackout on|off, stats)\n`);
  });
  lines.on('close', () => {
    void link.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`link-process: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
