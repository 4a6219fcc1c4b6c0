/**
 * The control messages the two ends exchange over the channel mux (MESSAGE frames, JSON), validated on receipt: a
 * message that does not match is ignored (an authentic but newer or buggy peer), never trusted in part.
 */
import { isPortNumber } from '@tsmosh/protocol';

/** Client → server, on every new link: what this client forwards. Replaces whatever an earlier client asked. */
export interface ForwardingRequest {
  readonly type: 'forwarding';
  /** The client relays agent connections (-A). */
  readonly agent: boolean;
  /** The -R listeners the server should hold for this client. */
  readonly remote: ReadonlyArray<{ readonly bindHost: string; readonly bindPort: number }>;
}

/** Server → client: how one -R listener fared. */
export interface RemoteForwardResult {
  readonly type: 'remote-forward';
  readonly bindHost: string;
  readonly bindPort: number;
  /** undefined: listening. Otherwise one line saying why not. */
  readonly error?: string;
}

/** Server → client, in answer to a request with agent: whether the session has an agent socket to relay. */
export interface AgentAvailability {
  readonly type: 'agent';
  readonly available: boolean;
}

export type ForwardMessage = ForwardingRequest | RemoteForwardResult | AgentAvailability;

/** Most -R forwards one client may ask for: far above use, and it bounds what a request makes the server listen on. */
export const MAX_REMOTE_FORWARDS = 32;

export function encodeForwardMessage(message: ForwardMessage): string {
  return JSON.stringify(message);
}

export function decodeForwardMessage(text: string): ForwardMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const isHost = (host: unknown): host is string => typeof host === 'string' && host.length > 0 && host.length <= 255;
  switch (record.type) {
    case 'forwarding': {
      if (typeof record.agent !== 'boolean' || !Array.isArray(record.remote) || record.remote.length > MAX_REMOTE_FORWARDS) return undefined;
      const remote: Array<{ bindHost: string; bindPort: number }> = [];
      for (const entry of record.remote as unknown[]) {
        if (typeof entry !== 'object' || entry === null) return undefined;
        const { bindHost, bindPort } = entry as Record<string, unknown>;
        if (!isHost(bindHost) || !isPortNumber(bindPort)) return undefined;
        remote.push({ bindHost, bindPort });
      }
      return { type: 'forwarding', agent: record.agent, remote };
    }
    case 'remote-forward': {
      if (!isHost(record.bindHost) || !isPortNumber(record.bindPort)) return undefined;
      if (record.error !== undefined && typeof record.error !== 'string') return undefined;
      return { type: 'remote-forward', bindHost: record.bindHost, bindPort: record.bindPort, ...(typeof record.error === 'string' ? { error: record.error.slice(0, 300) } : {}) };
    }
    case 'agent':
      return typeof record.available === 'boolean' ? { type: 'agent', available: record.available } : undefined;
    default:
      return undefined;
  }
}
