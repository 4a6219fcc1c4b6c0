import type { Socket } from 'node:net';
import { ChannelMux, type ChannelTarget, type MuxEvent, type MuxRole } from '@tsmosh/protocol';

/**
 * One end of a link's channels in Node: the pure ChannelMux plus the sockets bridged to its channels. A socket's
 * bytes go into its channel (the socket pauses while the channel's send buffer is full); a channel's bytes go into
 * its socket, and the peer is granted more only once the socket took them, so a slow local reader slows the remote
 * writer instead of filling memory. Half-closes pass through (a socket's end is the channel's end), and a reset on
 * either side destroys the other.
 *
 * The owner (the client or server session) feeds `receive` from its Connection's channel sink, sends what `poll`
 * returns after its own frames, and polls again at `nextWakeup` or when `wake` is called.
 */
export interface ChannelEndpointInit {
  readonly role: MuxRole;
  readonly maxPacketBytes: number;
  readonly initialRttMs?: number;
  /** Called when the endpoint has something to send (a socket wrote, a consumer drained): poll soon. */
  readonly wake: () => void;
  /** The peer opened a channel: connect it somewhere and `accept`, or `refuse`. */
  readonly onOpen: (channel: number, target: ChannelTarget) => void;
  readonly onMessage?: (text: string) => void;
  /** A channel we opened was refused or reset by the peer, with its reason (for the user's notice). */
  readonly onRefused?: (channel: number, target: ChannelTarget, reason: string) => void;
}

interface Bridge {
  readonly socket: Socket;
  readonly target: ChannelTarget | undefined;
  ended: boolean;
}

export class ChannelEndpoint {
  readonly mux: ChannelMux;
  private readonly bridges = new Map<number, Bridge>();
  /** Targets of channels we opened and are waiting on, for the refusal notice. */
  private readonly opening = new Map<number, ChannelTarget>();
  private readonly init: ChannelEndpointInit;
  private isClosed = false;

  constructor(init: ChannelEndpointInit) {
    this.init = init;
    this.mux = new ChannelMux({ role: init.role, maxPacketBytes: init.maxPacketBytes, ...(init.initialRttMs !== undefined ? { initialRttMs: init.initialRttMs } : {}) });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sockets bridged now. */
  get socketCount(): number {
    return this.bridges.size;
  }

  /** Whether a channel we opened still waits for the peer's answer. */
  isOpening(channel: number): boolean {
    return this.opening.has(channel);
  }

  /** Opens a channel for a local socket (a listener's connection): the socket's bytes wait until the peer accepts. */
  openFor(socket: Socket, target: ChannelTarget): number | undefined {
    if (this.isClosed || this.mux.channelCount >= this.mux.limits.maxChannels) {
      socket.destroy();
      return undefined;
    }
    const channel = this.mux.open(target);
    this.opening.set(channel, target);
    this.bridge(channel, socket, target);
    this.init.wake();
    return channel;
  }

  /** Accepts a channel the peer opened, bridging it to `socket` (already connected). */
  accept(channel: number, socket: Socket): void {
    if (this.isClosed) {
      socket.destroy();
      return;
    }
    this.mux.accept(channel);
    this.bridge(channel, socket, undefined);
    this.init.wake();
  }

  /** Refuses a channel the peer opened; `reason` reaches the peer's user. */
  refuse(channel: number, reason: string): void {
    if (this.isClosed) return;
    this.mux.close(channel, reason);
    this.init.wake();
  }

  sendMessage(text: string): void {
    if (this.isClosed) return;
    this.mux.sendMessage(text);
    this.init.wake();
  }

  /** A channel packet from the Connection. */
  receive(payload: Uint8Array, now: number): void {
    if (this.isClosed) return;
    this.dispatch(this.mux.receive(payload, now));
  }

  poll(now: number): Uint8Array[] {
    return this.isClosed ? [] : this.mux.poll(now);
  }

  nextWakeup(now: number): number | undefined {
    return this.isClosed ? undefined : this.mux.nextWakeup(now);
  }

  /** The link is gone: every socket is destroyed, and nothing more is sent. */
  closeAll(reason: string): void {
    if (this.isClosed) return;
    this.dispatch(this.mux.closeAll(reason));
    this.isClosed = true;
  }

  private bridge(channel: number, socket: Socket, target: ChannelTarget | undefined): void {
    const bridge: Bridge = { socket, target, ended: false };
    this.bridges.set(channel, bridge);
    socket.setNoDelay?.(true);
    socket.on('data', (data: Buffer) => {
      if (this.bridges.get(channel) !== bridge) return;
      // A copy: node may reuse the buffer, and the mux keeps bytes until they are acknowledged.
      if (!this.mux.write(channel, new Uint8Array(data))) socket.pause();
      this.init.wake();
    });
    socket.on('end', () => {
      if (this.bridges.get(channel) !== bridge) return;
      this.mux.end(channel);
      this.init.wake();
    });
    socket.on('error', () => {
      // 'close' follows and says the rest.
    });
    socket.on('close', (hadError: boolean) => {
      if (this.bridges.get(channel) !== bridge) return;
      this.bridges.delete(channel);
      // Closed without a clean end on both sides: the peer's socket must not wait for more.
      if (hadError || !bridge.ended || socket.readableEnded === false) {
        this.mux.close(channel, hadError ? 'the connection was reset' : 'the connection was closed');
        this.init.wake();
      }
    });
  }

  private dispatch(events: MuxEvent[]): void {
    for (const event of events) {
      switch (event.type) {
        case 'open':
          this.init.onOpen(event.channel, event.target);
          break;
        case 'accepted':
          this.opening.delete(event.channel);
          break;
        case 'data': {
          const bridge = this.bridges.get(event.channel);
          if (bridge === undefined) break;
          const length = event.data.length;
          bridge.socket.write(event.data, () => {
            // The socket took them: the peer may send that much more.
            this.mux.consumed(event.channel, length);
            this.init.wake();
          });
          break;
        }
        case 'end': {
          const bridge = this.bridges.get(event.channel);
          if (bridge === undefined) break;
          bridge.ended = true;
          bridge.socket.end();
          break;
        }
        case 'writable':
          this.bridges.get(event.channel)?.socket.resume();
          break;
        case 'closed': {
          const target = this.opening.get(event.channel);
          this.opening.delete(event.channel);
          if (target !== undefined && event.reason !== '') this.init.onRefused?.(event.channel, target, event.reason);
          const bridge = this.bridges.get(event.channel);
          this.bridges.delete(event.channel);
          if (bridge === undefined) break;
          // A clean finish (both halves ended) lets the socket flush and close; a reset is passed on as a reset.
          if (event.reason === '') bridge.socket.end();
          else resetSocket(bridge.socket);
          break;
        }
        case 'message':
          this.init.onMessage?.(event.text);
          break;
      }
    }
  }
}

/** Ends a socket with a TCP reset, so its peer sees the connection fail rather than end; a UNIX socket just closes. */
function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
