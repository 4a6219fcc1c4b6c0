import type { Server, Socket } from 'node:net';
import type { ChannelTarget } from '@tsmosh/protocol';
import { ChannelEndpoint } from './channel-endpoint.js';
import { connectTo } from './connect.js';
import { formatHostPort, listenAddress } from './forward-spec.js';
import { decodeForwardMessage, encodeForwardMessage, type ForwardingRequest } from './forward-messages.js';
import { listenTcp } from './listen.js';

/**
 * A session's forwarding on the server: one ChannelEndpoint per client link, the -R listeners (which belong to the
 * session, so a reattaching client that asks for the same forward gets the same listener), and the agent socket's
 * connections. Only the current link's client is served: a connection to the agent socket or to a -R listener
 * while no client is attached, or while the attached client did not ask for it, is closed at once rather than left
 * hanging.
 */
export interface ServerForwardingInit {
  /**
   * Whether the current client is there to serve a new connection: heard from within a couple of its heartbeats, and
   * not gone (quit or detached). A connection opened while it is not is closed at once.
   */
  readonly clientPresent: () => boolean;
  /**
   * Whether the current client is on its way but has not said what it forwards yet: never heard from (the session
   * was just made), or heard just now. Connections wait for it (OPEN_TIMEOUT_MS at most) instead of failing.
   */
  readonly clientExpected: () => boolean;
  readonly log: (line: string) => void;
  /** Whether the session has an agent socket (SSH_AUTH_SOCK) to relay. */
  readonly agentSocket: boolean;
}

export interface ForwardingStats {
  readonly openChannels: number;
  /** Host-side connections (agent socket, -R ports) closed because no client that asked for them was there. */
  readonly refusedConnections: number;
  /** Channel frames that broke the rules (data beyond credit, too many channels): the channel was reset. */
  readonly protocolViolations: number;
  /** Channel packets that did not decode. */
  readonly malformedPackets: number;
  readonly remoteListeners: number;
}

/** ms: a connection on the host waits at most this long for the client to take it (a few round trips, with loss). */
const OPEN_TIMEOUT_MS = 10_000;

interface LinkForwarding {
  readonly endpoint: ChannelEndpoint;
  request: ForwardingRequest | undefined;
}

interface RemoteListener {
  readonly bindHost: string;
  readonly bindPort: number;
  server: Server | undefined;
  /** The listen in progress, so a repeated request waits for it instead of binding twice. */
  pending: Promise<string | undefined> | undefined;
}

export class ServerForwarding {
  private readonly links = new Map<string, LinkForwarding>();
  private readonly listeners = new Map<string, RemoteListener>();
  private readonly init: ServerForwardingInit;
  private currentLinkId: string | undefined;
  private closed = false;
  /** Connections closed at once because no client (or no client that asked) was there: for status and tests. */
  refusedConnections = 0;
  /**
   * Host-side connections that came before the current client said what it forwards (a program that uses the agent
   * as soon as the session starts, before the client's first datagram): served once it says, or closed after
   * OPEN_TIMEOUT_MS.
   */
  private readonly waiting: Array<{ readonly socket: Socket; readonly serve: () => void; readonly timer: NodeJS.Timeout }> = [];

  constructor(init: ServerForwardingInit) {
    this.init = init;
  }

  /** What the daemon's status reports: channels open now, and what was turned away (counted over live links). */
  get stats(): ForwardingStats {
    let openChannels = 0;
    let protocolViolations = 0;
    let malformedPackets = 0;
    for (const link of this.links.values()) {
      openChannels += link.endpoint.mux.channelCount;
      protocolViolations += link.endpoint.mux.stats.protocolViolations;
      malformedPackets += link.endpoint.mux.stats.malformedPackets;
    }
    return { openChannels, refusedConnections: this.refusedConnections, protocolViolations, malformedPackets, remoteListeners: this.listeners.size };
  }

  /** Makes the endpoint of a new link. */
  endpointFor(linkId: string, options: { maxPacketBytes: number; initialRttMs?: number; wake: () => void }): ChannelEndpoint {
    const link: LinkForwarding = {
      request: undefined,
      endpoint: new ChannelEndpoint({
        role: 'server',
        maxPacketBytes: options.maxPacketBytes,
        ...(options.initialRttMs !== undefined ? { initialRttMs: options.initialRttMs } : {}),
        wake: options.wake,
        onOpen: (channel, target) => this.onOpen(link, channel, target),
        onMessage: (text) => this.onMessage(linkId, link, text),
      }),
    };
    this.links.set(linkId, link);
    return link.endpoint;
  }

  /** The link whose client is now served (an attach took over). Earlier links' channels end. */
  setCurrent(linkId: string): void {
    this.currentLinkId = linkId;
    for (const [id, link] of this.links) if (id !== linkId) link.endpoint.closeAll('the session was taken over by another client');
    // Its client may have asked before it became current (its first datagrams promote it).
    const request = this.links.get(linkId)?.request;
    if (request !== undefined) {
      this.releaseWaiting();
      void this.reconcile(this.links.get(linkId)!, request);
    }
  }

  dropLink(linkId: string, reason: string): void {
    this.links.get(linkId)?.endpoint.closeAll(reason);
    this.links.delete(linkId);
  }

  /** A process on the host connected to the session's agent socket. */
  onAgentConnection(socket: Socket): void {
    socket.on('error', () => {});
    if (this.waitForRequest(socket, () => this.onAgentConnection(socket))) return;
    const link = this.servedLink();
    if (link === undefined || link.request?.agent !== true) {
      this.refusedConnections++;
      this.init.log(`agent socket: ${link === undefined ? 'no client is attached' : 'the attached client did not ask for agent forwarding (-A)'}; connection closed`);
      closeGently(socket);
      return;
    }
    this.openWithTimeout(link, socket, { kind: 'agent' });
  }

  /**
   * Opens a channel for a host-side connection; if the client has not accepted it within OPEN_TIMEOUT_MS (it went
   * silent just after it was last heard), the connection is closed rather than left hanging.
   */
  private openWithTimeout(link: LinkForwarding, socket: Socket, target: ChannelTarget): void {
    const channel = link.endpoint.openFor(socket, target);
    if (channel === undefined) return;
    const timer = setTimeout(() => {
      if (!link.endpoint.isOpening(channel)) return;
      this.init.log(`${target.kind === 'agent' ? 'agent socket' : 'remote forward'}: the client did not answer within ${OPEN_TIMEOUT_MS / 1000} s; connection closed`);
      link.endpoint.refuse(channel, 'tsmosh-server: the connection timed out waiting for the client');
      socket.destroy();
    }, OPEN_TIMEOUT_MS);
    timer.unref();
  }

  /** Ends everything: listeners close, links' channels end with `reason`. */
  close(reason: string): void {
    this.closed = true;
    for (const link of this.links.values()) link.endpoint.closeAll(reason);
    this.links.clear();
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      entry.socket.destroy();
    }
    for (const listener of this.listeners.values()) listener.server?.close();
    this.listeners.clear();
  }

  /**
   * Holds a connection while the current link's client has not yet said what it forwards but is on its way (never
   * heard yet, or heard just now); true if held.
   */
  private waitForRequest(socket: Socket, serve: () => void): boolean {
    const link = this.currentLinkId === undefined ? undefined : this.links.get(this.currentLinkId);
    if (this.closed || link === undefined || link.request !== undefined || link.endpoint.closed || !this.init.clientExpected()) return false;
    const timer = setTimeout(() => {
      const index = this.waiting.findIndex((entry) => entry.socket === socket);
      if (index < 0) return;
      this.waiting.splice(index, 1);
      this.refusedConnections++;
      this.init.log(`a forwarded connection waited ${OPEN_TIMEOUT_MS / 1000} s for the client to say what it forwards; closed`);
      closeGently(socket);
    }, OPEN_TIMEOUT_MS);
    timer.unref();
    this.waiting.push({ socket, serve, timer });
    return true;
  }

  /** The current client said what it forwards: what waited for that is served (or refused) now. */
  private releaseWaiting(): void {
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      entry.serve();
    }
  }

  /** The current link, when its client is attached. */
  private servedLink(): LinkForwarding | undefined {
    if (this.closed || this.currentLinkId === undefined || !this.init.clientPresent()) return undefined;
    const link = this.links.get(this.currentLinkId);
    return link === undefined || link.endpoint.closed ? undefined : link;
  }

  private onOpen(link: LinkForwarding, channel: number, target: ChannelTarget): void {
    if (target.kind !== 'direct-tcp') {
      link.endpoint.refuse(channel, `tsmosh-server: a client may not open a ${target.kind} channel`);
      return;
    }
    connectTo(target.host, target.port).then(
      (socket) => link.endpoint.accept(channel, socket),
      (error: Error) => link.endpoint.refuse(channel, `tsmosh-server: ${error.message}`),
    );
  }

  private onMessage(linkId: string, link: LinkForwarding, text: string): void {
    const message = decodeForwardMessage(text);
    if (message?.type !== 'forwarding') return;
    link.request = message;
    if (message.agent) link.endpoint.sendMessage(encodeForwardMessage({ type: 'agent', available: this.init.agentSocket }));
    // Listeners follow the newest client's request; the current link is the one that counts.
    if (linkId === this.currentLinkId || this.currentLinkId === undefined) {
      this.releaseWaiting();
      void this.reconcile(link, message);
    }
  }

  private async reconcile(link: LinkForwarding, request: ForwardingRequest): Promise<void> {
    const wanted = new Set(request.remote.map((entry) => formatHostPort(entry.bindHost, entry.bindPort)));
    for (const [key, listener] of this.listeners) {
      if (wanted.has(key)) continue;
      listener.server?.close();
      this.listeners.delete(key);
      this.init.log(`remote forward ${key}: closed (the client no longer asks for it)`);
    }
    for (const entry of request.remote) {
      const error = await this.listen(entry.bindHost, entry.bindPort);
      link.endpoint.sendMessage(encodeForwardMessage({ type: 'remote-forward', bindHost: entry.bindHost, bindPort: entry.bindPort, ...(error !== undefined ? { error } : {}) }));
    }
  }

  /** Makes sure a listener exists; resolves to undefined when listening, else the reason. */
  private listen(bindHost: string, bindPort: number): Promise<string | undefined> {
    const key = formatHostPort(bindHost, bindPort);
    const existing = this.listeners.get(key);
    if (existing?.server !== undefined) return Promise.resolve(undefined);
    if (existing?.pending !== undefined) return existing.pending;
    const listener: RemoteListener = { bindHost, bindPort, server: undefined, pending: undefined };
    this.listeners.set(key, listener);
    listener.pending = listenTcp(listenAddress(bindHost), bindPort, (socket) => this.onRemoteConnection(listener, socket)).then(
      (server) => {
        listener.pending = undefined;
        if (this.closed || this.listeners.get(key) !== listener) {
          server.close();
          return 'the forward was cancelled';
        }
        listener.server = server;
        this.init.log(`remote forward ${key}: listening`);
        return undefined;
      },
      (error: Error) => {
        this.listeners.delete(key);
        this.init.log(`remote forward ${key}: ${error.message}`);
        return error.message;
      },
    );
    return listener.pending;
  }

  private onRemoteConnection(listener: RemoteListener, socket: Socket): void {
    socket.on('error', () => {});
    if (this.waitForRequest(socket, () => this.onRemoteConnection(listener, socket))) return;
    const link = this.servedLink();
    const asked = link?.request?.remote.some((entry) => entry.bindHost === listener.bindHost && entry.bindPort === listener.bindPort) ?? false;
    if (link === undefined || !asked) {
      this.refusedConnections++;
      closeGently(socket);
      return;
    }
    this.openWithTimeout(link, socket, {
      kind: 'forwarded-tcp',
      host: listener.bindHost,
      port: listener.bindPort,
      originHost: socket.remoteAddress ?? '',
      originPort: socket.remotePort ?? 0,
    });
  }
}

/**
 * Ends a connection nobody will serve with an orderly close, reading and dropping what it sent: its program sees the
 * end of the stream (ssh-add: "communication with agent failed") rather than a reset or a SIGPIPE mid-write.
 */
function closeGently(socket: Socket): void {
  socket.resume();
  socket.end();
  socket.once('end', () => socket.destroy());
  setTimeout(() => socket.destroy(), OPEN_TIMEOUT_MS).unref();
}

