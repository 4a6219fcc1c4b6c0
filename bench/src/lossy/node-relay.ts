/**
 * The floor of a Node terminal over UDP, for comparison only: a client and a server that do nothing but move bytes.
 * The client sends each read of its terminal in a datagram; the server writes it to a pty (node-pty, as tsmosh's
 * daemon) and sends each read of the pty back; the client writes it to its terminal. No encryption, no terminal
 * emulation, no state sync, no retransmission: on a lossless link (loopback, the LAN) a keystroke crosses the same
 * four Node wake-ups as tsmosh's (client key read, server datagram, server pty read, client datagram) and the same
 * link process, so its figures are what any Node design that wakes there costs before its own work. tsmosh's
 * distance above this floor is its own code; the floor's distance above ssh is Node's. Not a product: nothing here
 * survives a lost datagram, and the benchmark refuses it on a link that loses any (systems.ts).
 *
 *   node node-relay.js server -- COMMAND ARGS…   prints `RELAY <port>` once bound on 127.0.0.1
 *   node node-relay.js client HOST PORT
 *
 * TSMOSH_TRACE (protocol's latency-trace.ts) traces both ends with tsmosh's step names where the relay has the step
 * (key, sent, received, pty-write, pty-output, drawn), so a traced run of each can be laid side by side.
 *
 * Datagrams start with a type byte: client → server INPUT (the bytes typed) or SIZE (cols, rows as two big-endian
 * uint16, sent first and on every SIGWINCH); server → client OUTPUT (the pty's bytes) or EXIT (the program ended).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { appendFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import { LATENCY_TRACE_ENV, LatencyTrace } from '@tsmosh/protocol';

const tracePath = process.env[LATENCY_TRACE_ENV];
/** One end's trace, or undefined when TSMOSH_TRACE is unset (one optional call per step then). */
function traceFor(side: 'client' | 'server'): LatencyTrace | undefined {
  if (tracePath === undefined || tracePath === '') return undefined;
  // Buffered as tsmosh's ends are (latency-trace.ts), so both pay the same for their marks.
  const trace = new LatencyTrace(side, () => performance.timeOrigin + performance.now(), (lines) => appendFileSync(tracePath, lines), { set: (callback, delayMs) => setTimeout(callback, delayMs).unref() });
  process.on('exit', () => trace.flush());
  return trace;
}

export const RELAY_INPUT = 0;
export const RELAY_SIZE = 1;
export const RELAY_OUTPUT = 2;
export const RELAY_EXIT = 3;
/**
 * bytes of pty output per datagram: under the 1500-byte Ethernet MTU with IP and UDP headers, so a LAN would carry
 * each whole (the UDP link process forwards whatever size it gets; this keeps the relay honest for a real one).
 */
export const RELAY_CHUNK_BYTES = 1400;

/** A datagram of `type` followed by `payload`. */
export function relayDatagram(type: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const datagram = Buffer.allocUnsafe(1 + payload.byteLength);
  datagram[0] = type;
  datagram.set(payload, 1);
  return datagram;
}

/** A SIZE datagram for a terminal of `cols` × `rows`. */
export function sizeDatagram(cols: number, rows: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt16BE(cols, 0);
  payload.writeUInt16BE(rows, 2);
  return relayDatagram(RELAY_SIZE, payload);
}

/** Splits a pty read into OUTPUT datagrams of at most RELAY_CHUNK_BYTES of payload, in order. */
export function outputDatagrams(bytes: Uint8Array): Buffer[] {
  const datagrams: Buffer[] = [];
  for (let at = 0; at < bytes.byteLength; at += RELAY_CHUNK_BYTES) datagrams.push(relayDatagram(RELAY_OUTPUT, bytes.subarray(at, at + RELAY_CHUNK_BYTES)));
  return datagrams;
}

/** Runs `command` in a pty and relays it to whoever sent the last datagram; resolves with the bound socket. */
export function startRelayServer(command: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ socket: Socket; port: number; exited: Promise<void> }> {
  if (command.length === 0) throw new Error('node-relay server: no command given; usage: node-relay.js server -- COMMAND ARGS…');
  const socket = createSocket('udp4');
  const trace = traceFor('server');
  let peer: RemoteInfo | undefined;
  // What the program writes before the client's first datagram (the first prompt) waits for it.
  let early: Buffer[] | undefined = [];
  const program = pty.spawn(command[0]!, command.slice(1), { name: 'xterm-256color', cols: 80, rows: 24, cwd: homedir(), env, encoding: null });
  const send = (datagram: Buffer): void => {
    if (peer !== undefined) socket.send(datagram, peer.port, peer.address);
  };
  program.onData((data: string | Uint8Array) => {
    const bytes = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
    trace?.mark('pty-output', bytes.byteLength);
    if (early !== undefined) early.push(bytes);
    else for (const datagram of outputDatagrams(bytes)) send(datagram);
    if (early === undefined) trace?.mark('sent');
  });
  const exited = new Promise<void>((resolve) => {
    program.onExit(() => {
      send(relayDatagram(RELAY_EXIT));
      resolve();
    });
  });
  socket.on('message', (message, from) => {
    trace?.mark('received');
    peer = from;
    if (message[0] === RELAY_INPUT) {
      program.write(message.subarray(1));
      trace?.mark('pty-write');
    }
    if (message[0] === RELAY_SIZE && message.byteLength === 5) program.resize(Math.max(1, message.readUInt16BE(1)), Math.max(1, message.readUInt16BE(3)));
    if (early !== undefined) {
      const held = early;
      early = undefined;
      for (const bytes of held) for (const datagram of outputDatagrams(bytes)) send(datagram);
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve({ socket, port: socket.address().port, exited }));
  });
}

/** Relays this process's terminal to a relay server; exits with the program. */
function runRelayClient(host: string, port: number): void {
  const socket = createSocket('udp4');
  const trace = traceFor('client');
  const stdin = process.stdin;
  const sendSize = (): void => {
    socket.send(sizeDatagram(process.stdout.columns || 80, process.stdout.rows || 24), port, host);
  };
  const restore = (): void => {
    if (stdin.isTTY) stdin.setRawMode(false);
  };
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on('data', (bytes: Buffer) => {
    trace?.mark('key', bytes.includes(0x0d) ? 'enter' : undefined);
    socket.send(relayDatagram(RELAY_INPUT, bytes), port, host);
    trace?.mark('sent');
  });
  process.on('SIGWINCH', sendSize);
  socket.on('message', (message) => {
    if (message[0] === RELAY_OUTPUT) {
      trace?.mark('received');
      process.stdout.write(message.subarray(1));
      trace?.mark('drawn');
    } else if (message[0] === RELAY_EXIT) {
      restore();
      process.exit(0);
    }
  });
  process.on('exit', restore);
  sendSize();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === 'server' && rest[0] === '--') {
    const server = await startRelayServer(rest.slice(1));
    process.stdout.write(`RELAY ${server.port}\n`);
    await server.exited;
    // Let the EXIT datagram leave before the socket goes.
    setTimeout(() => process.exit(0), 50);
  } else if (mode === 'client' && rest.length === 2 && Number.isInteger(Number(rest[1]))) {
    runRelayClient(rest[0]!, Number(rest[1]));
  } else {
    process.stderr.write('usage: node node-relay.js server -- COMMAND ARGS… | node node-relay.js client HOST PORT\n');
    process.exit(2);
  }
}
