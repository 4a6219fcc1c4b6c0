import type { Server, Socket } from 'node:net';
import type { ChannelTarget } from '@tsmosh/protocol';
import { ChannelEndpoint } from './channel-endpoint.js';
import { connectTo } from './connect.js';
import { formatForwardSpec, formatHostPort, listenAddress, type ForwardSpec } from './forward-spec.js';
import { decodeForwardMessage, encodeForwardMessage } from './forward-messages.js';
import { listenTcp } from './listen.js';

/** What a client forwards: ssh's -A, -L and -R. */
export interface ForwardingOptions {
  /** The local agent's socket (the client's SSH_AUTH_SOCK) when agent forwarding (-A) is on. */
  readonly agentSocketPath?: string;
  readonly local?: readonly ForwardSpec[];
  readonly remote?: readonly ForwardSpec[];
}

/**
 * A client's forwarding: the -L listeners (local, for the life of the client), and the client end of the session's
 * channels: the agent and -R connections the server opens are relayed to the local agent and to -R's destinations.
 * The client asks for its forwards on every link (a new connection after a restart or a reattach) so the server's
 * side follows whoever is attached. Problems become one-line notices for the status line.
 */
export class ClientForwarding {
  private readonly options: ForwardingOptions;
  private readonly notice: (text: string) => void;
  private readonly listeners: Server[] = [];
  private endpoint: ChannelEndpoint | undefined;
  private closed = false;

  constructor(options: ForwardingOptions, notice: (text: string) => void) {
    this.options = options;
    this.notice = notice;
  }

  /** Starts the -L listeners. A listener that cannot bind is reported and skipped, as ssh does. */
  async listen(): Promise<void> {
    await Promise.all(
      (this.options.local ?? []).map(async (spec) => {
        try {
          const server = await listenTcp(listenAddress(spec.bindHost), spec.bindPort, (socket) => this.onLocalConnection(spec, socket));
          if (this.closed) server.close();
          else this.listeners.push(server);
        } catch (error) {
          this.notice(`tsmosh: ${formatForwardSpec(spec)}: ${(error as Error).message}.`);
        }
      }),
    );
  }

  /** The endpoint for a new link to the server; the forwarding request goes out on it at once. */
  endpointFor(options: { maxPacketBytes: number; initialRttMs?: number; wake: () => void }): ChannelEndpoint {
    this.endpoint?.closeAll('the client made a new connection');
    const endpoint = new ChannelEndpoint({
      role: 'client',
      maxPacketBytes: options.maxPacketBytes,
      ...(options.initialRttMs !== undefined ? { initialRttMs: options.initialRttMs } : {}),
      wake: options.wake,
      onOpen: (channel, target) => this.onOpen(endpoint, channel, target),
      onMessage: (text) => this.onMessage(text),
      onRefused: (_channel, target, reason) => {
        if (target.kind === 'direct-tcp') this.notice(`tsmosh: -L to ${formatHostPort(target.host, target.port)}: ${reason.replace(/^tsmosh-server: /, '')}.`);
      },
    });
    this.endpoint = endpoint;
    endpoint.sendMessage(
      encodeForwardMessage({
        type: 'forwarding',
        agent: this.options.agentSocketPath !== undefined,
        remote: (this.options.remote ?? []).map((spec) => ({ bindHost: spec.bindHost, bindPort: spec.bindPort })),
      }),
    );
    return endpoint;
  }

  /** Listening ports of the -L forwards (for tests and `--verbose`). */
  get localPorts(): number[] {
    return this.listeners.map((server) => {
      const address = server.address();
      return typeof address === 'object' && address !== null ? address.port : 0;
    });
  }

  close(reason: string): void {
    this.closed = true;
    for (const server of this.listeners) server.close();
    this.listeners.length = 0;
    this.endpoint?.closeAll(reason);
  }

  private onLocalConnection(spec: ForwardSpec, socket: Socket): void {
    socket.on('error', () => {});
    const endpoint = this.endpoint;
    if (endpoint === undefined || this.closed) {
      socket.destroy();
      return;
    }
    endpoint.openFor(socket, { kind: 'direct-tcp', host: spec.host, port: spec.hostPort, originHost: socket.remoteAddress ?? '', originPort: socket.remotePort ?? 0 });
  }

  private onOpen(endpoint: ChannelEndpoint, channel: number, target: ChannelTarget): void {
    let destination: { host: string; port: number | undefined } | undefined;
    let refusal = '';
    if (target.kind === 'agent') {
      const path = this.options.agentSocketPath;
      if (path === undefined) refusal = 'agent forwarding is off in this client (connect with -A)';
      else destination = { host: path, port: undefined };
    } else if (target.kind === 'forwarded-tcp') {
      const spec = (this.options.remote ?? []).find((entry) => entry.bindHost === target.host && entry.bindPort === target.port);
      if (spec === undefined) refusal = `this client has no -R forward for ${formatHostPort(target.host, target.port)}`;
      else destination = { host: spec.host, port: spec.hostPort };
    } else {
      refusal = 'the server may not open direct connections from the client';
    }
    if (destination === undefined) {
      endpoint.refuse(channel, `tsmosh: ${refusal}`);
      return;
    }
    connectTo(destination.host, destination.port).then(
      (socket) => endpoint.accept(channel, socket),
      (error: Error) => {
        endpoint.refuse(channel, `tsmosh: ${error.message}`);
        this.notice(target.kind === 'agent' ? `tsmosh: -A: the local agent: ${error.message}.` : `tsmosh: -R ${formatHostPort(target.host, target.port)}: ${error.message}.`);
      },
    );
  }

  private onMessage(text: string): void {
    const message = decodeForwardMessage(text);
    if (message === undefined) return;
    if (message.type === 'remote-forward' && message.error !== undefined) {
      this.notice(`tsmosh: -R ${formatHostPort(message.bindHost, message.bindPort)}: the server ${message.error}.`);
    } else if (message.type === 'agent' && !message.available) {
      this.notice('tsmosh: -A: this session was started without agent forwarding, so it has no SSH_AUTH_SOCK; start a new session with -A.');
    }
  }
}
