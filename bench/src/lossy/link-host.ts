/**
 * The driver's side of an emulated link (see link-process.ts): start one, read its traffic counters, switch a
 * blackout, close it. Also the two network namespaces ssh's TCP runs between.
 *
 * Why TUN between namespaces for ssh: a TCP proxy would terminate TCP and turn loss into mere delay; ssh must see
 * real packet loss and run its own retransmission and backoff. So the ssh client runs in a client namespace and
 * sshd in a server namespace, each with one TUN device as its only route to the other, and the link process
 * moves every IP packet from one device to the other through the same seeded `Link` model the UDP proxy uses.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CPU_SIDES, onSide } from './cpu-sides.js';
import type { LinkTraffic } from './link-process.js';

const LINK_PROCESS = fileURLToPath(new URL('./link-process.js', import.meta.url));

/**
 * Opens two TUN devices (IFF_TUN | IFF_NO_PI through TUNSETIFF = 0x400454ca) and execs the link process with both
 * descriptors inherited ($^F high keeps them open across exec). Node has no ioctl, perl is in every Debian base.
 */
const TUN_STUB = `
$^F = 1023;
sub tun { my ($name) = @_; open(my $fh, '+<', '/dev/net/tun') or die "open /dev/net/tun: $!\\n";
  ioctl($fh, 0x400454ca, pack('a16 s x22', $name, 0x0001 | 0x1000)) or die "TUNSETIFF $name: $!\\n"; return $fh; }
my $c = tun($ARGV[0]); my $s = tun($ARGV[1]);
my $config = $ARGV[2]; $config =~ s/"CLIENT_FD"/fileno($c)/e; $config =~ s/"SERVER_FD"/fileno($s)/e;
exec($ARGV[3], $ARGV[4], $config) or die "exec: $!\\n";
`;

export interface NamespacePair {
  readonly client: string;
  readonly server: string;
  readonly clientAddress: string;
  readonly serverAddress: string;
  /** The TUN device names, created per link and moved into the namespaces. */
  readonly clientDevice: string;
  readonly serverDevice: string;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates the two namespaces (names carry our pid, so parallel runs and leftovers never collide). */
export function createNamespaces(): NamespacePair {
  const tag = `tsmb${process.pid}`;
  const pair: NamespacePair = {
    client: `${tag}c`,
    server: `${tag}s`,
    // A /30 from the benchmarking range (RFC 2544, 198.18.0.0/15): never a real destination.
    clientAddress: '198.18.7.1',
    serverAddress: '198.18.7.2',
    clientDevice: `${tag}tc`.slice(0, 15),
    serverDevice: `${tag}ts`.slice(0, 15),
  };
  deleteNamespaces(pair);
  ip('netns', 'add', pair.client);
  ip('netns', 'add', pair.server);
  ip('-n', pair.client, 'link', 'set', 'lo', 'up');
  ip('-n', pair.server, 'link', 'set', 'lo', 'up');
  return pair;
}

export function deleteNamespaces(pair: NamespacePair): void {
  for (const name of [pair.client, pair.server]) {
    try {
      ip('netns', 'delete', name);
    } catch {
      // not there: nothing to delete
    }
  }
}

export interface RunningLink {
  /** UDP mode: where the client sends. */
  readonly udpAddress?: { host: string; port: number };
  traffic(): Promise<LinkTraffic>;
  setBlackout(on: boolean): void;
  close(): Promise<void>;
}

async function attach(child: ChildProcess, what: string): Promise<{ ready: Record<string, unknown>; link: Omit<RunningLink, 'udpAddress'> }> {
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<(stats: LinkTraffic) => void> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${what}: link process exited (${code}) before it was ready: ${stderr.trim()}`)));
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { ready?: Record<string, unknown>; stats?: LinkTraffic };
      if (message.ready !== undefined) resolve(message.ready);
      if (message.stats !== undefined) waiting.shift()?.(message.stats);
    });
  });
  const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  return {
    ready,
    link: {
      traffic: () =>
        new Promise<LinkTraffic>((resolve) => {
          waiting.push(resolve);
          child.stdin!.write('stats\n');
        }),
      setBlackout: (on) => void child.stdin!.write(`blackout ${on ? 'on' : 'off'}\n`),
      async close() {
        child.stdin!.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
      },
    },
  };
}

/** The netem UDP proxy in its own process, forwarding to `target`. */
export async function startUdpLink(spec: string, seed: number, target: { host: string; port: number }): Promise<RunningLink> {
  // The link is neither machine: either core (cpu-sides.ts), not the laptop's this process would hand it.
  const command = onSide(CPU_SIDES, 'link', process.execPath, [LINK_PROCESS, JSON.stringify({ spec, seed, udpTarget: target })]);
  const child = spawn(command.file, command.args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const { ready, link } = await attach(child, `UDP link "${spec}"`);
  return { ...link, udpAddress: ready.address as { host: string; port: number } };
}

/** A TUN forwarder between the namespaces of `pair`, with addresses and routes set up; gone when closed. */
export async function startTunLink(pair: NamespacePair, spec: string, seed: number): Promise<RunningLink> {
  const config = JSON.stringify({ spec, seed, tunFds: { client: 'CLIENT_FD', server: 'SERVER_FD' } });
  const command = onSide(CPU_SIDES, 'link', 'perl', ['-e', TUN_STUB, pair.clientDevice, pair.serverDevice, config, process.execPath, LINK_PROCESS]);
  const child = spawn(command.file, command.args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    // Two reads block a libuv worker each, forever; leave room for the rest.
    env: { ...process.env, UV_THREADPOOL_SIZE: '8' },
  });
  const { link } = await attach(child, `TUN link "${spec}"`);
  try {
    for (const [device, namespace, local, peer] of [
      [pair.clientDevice, pair.client, pair.clientAddress, pair.serverAddress],
      [pair.serverDevice, pair.server, pair.serverAddress, pair.clientAddress],
    ] as const) {
      ip('link', 'set', device, 'netns', namespace);
      ip('-n', namespace, 'addr', 'add', local, 'peer', peer, 'dev', device);
      ip('-n', namespace, 'link', 'set', device, 'up');
    }
  } catch (error) {
    await link.close();
    throw new Error(`TUN link: setting up ${pair.clientDevice}/${pair.serverDevice} failed: ${(error as Error).message}`);
  }
  return link;
}
