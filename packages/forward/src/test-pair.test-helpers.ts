import { ChannelEndpoint, type ChannelEndpointInit } from './channel-endpoint.js';

/**
 * Two channel ends joined by a perfect in-memory link, pumped on the event loop as the sessions pump theirs: every
 * wake polls both ends and hands each packet to the other.
 */
export function endpointPair(
  client: Omit<ChannelEndpointInit, 'role' | 'maxPacketBytes' | 'wake'>,
  server: Omit<ChannelEndpointInit, 'role' | 'maxPacketBytes' | 'wake'>,
): { client: ChannelEndpoint; server: ChannelEndpoint; stop(): void } {
  let queued = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const pump = (): void => {
    queued = false;
    if (stopped) return;
    const now = performance.now();
    for (let round = 0; round < 4; round++) {
      for (const packet of a.poll(now)) b.receive(packet, now);
      for (const packet of b.poll(now)) a.receive(packet, now);
    }
    const next = Math.min(a.nextWakeup(now) ?? Infinity, b.nextWakeup(now) ?? Infinity);
    if (timer !== undefined) clearTimeout(timer);
    if (Number.isFinite(next)) timer = setTimeout(wake, Math.max(0, next - now));
  };
  const wake = (): void => {
    if (queued || stopped) return;
    queued = true;
    setImmediate(pump);
  };
  const a: ChannelEndpoint = new ChannelEndpoint({ ...client, role: 'client', maxPacketBytes: 1200, wake });
  const b: ChannelEndpoint = new ChannelEndpoint({ ...server, role: 'server', maxPacketBytes: 1200, wake });
  return {
    client: a,
    server: b,
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
