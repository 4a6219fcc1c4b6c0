/**
 * How the session travels, as the command line names it (--transport, --tcp-port, TSMOSH_TRANSPORT): apart from
 * carrier.ts so that the CLI reads its options without loading the carrier (client front.ts).
 */
import { isPortNumber } from '@tsmosh/protocol/front';

export type CarrierMode = 'udp' | 'tcp' | 'auto';
export type CarrierKind = 'udp' | 'tcp';

const CARRIER_MODES: readonly CarrierMode[] = ['udp', 'tcp', 'auto'];

/** Reads `--transport`'s value; throws one line naming the accepted values. */
export function parseCarrierMode(value: string, where = '--transport'): CarrierMode {
  if ((CARRIER_MODES as readonly string[]).includes(value)) return value as CarrierMode;
  throw new Error(`tsmosh: ${where} must be udp, tcp or auto, got "${value}"`);
}

/** Reads a TCP port (1-65535); throws one line saying what was wrong. */
export function parseTcpPort(value: string, where = '--tcp-port'): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!isPortNumber(port)) throw new Error(`tsmosh: ${where} must be a TCP port number 1-65535, got "${value}"`);
  return port;
}

/** TSMOSH_TRANSPORT and TSMOSH_TCP_PORT, for tsmosh-client (the tsmosh command has --transport and --tcp-port). */
export function carrierSettingsFromEnv(env: NodeJS.ProcessEnv): { transport?: CarrierMode; tcpPort?: number } {
  const transport = env.TSMOSH_TRANSPORT;
  const tcpPort = env.TSMOSH_TCP_PORT;
  return {
    ...(transport !== undefined && transport !== '' ? { transport: parseCarrierMode(transport, 'TSMOSH_TRANSPORT') } : {}),
    ...(tcpPort !== undefined && tcpPort !== '' ? { tcpPort: parseTcpPort(tcpPort, 'TSMOSH_TCP_PORT') } : {}),
  };
}
