import type { Connection, PeerAddress, Transport } from '@tsmosh/protocol';
import type { SimulatedEndpoint } from './simulation.js';
import { CounterState, type ByteLogState } from './states.js';

/**
 * The server's side of a shell loop over the toy states, as a Simulation endpoint: the input stream's new bytes go
 * to the "program" the moment its transport delivers them, and the "screen" (a CounterState) shows at once how many
 * it has consumed, so the server's transport alone decides when the echo leaves.
 */
export class EchoingServer implements SimulatedEndpoint {
  /** The input stream position after the last byte consumed. */
  private consumed = 0;
  /** Whether the input stream ever ended before a byte already consumed (a transport defect). */
  private wentBack = false;

  constructor(
    private readonly transport: Transport<CounterState, ByteLogState, Connection>,
    /** Told each run of new input bytes, in order, exactly once, with the time they were delivered. */
    private readonly onInput: (bytes: Uint8Array, now: number) => void = () => undefined,
  ) {}

  get consumedEnd(): number {
    return this.consumed;
  }

  get inputWentBack(): boolean {
    return this.wentBack;
  }

  tick(now: number): ReturnType<SimulatedEndpoint['tick']> {
    return this.transport.tick(now);
  }

  nextWakeup(now: number): number {
    return this.transport.nextWakeup(now);
  }

  receive(bytes: Uint8Array, from: PeerAddress, now: number): void {
    this.transport.receive(bytes, from, now);
    const input = this.transport.remote;
    if (input.end < this.consumed) this.wentBack = true;
    if (input.end <= this.consumed) return;
    const fresh = input.since(this.consumed);
    this.consumed = input.end;
    this.onInput(fresh, now);
    // The echo answers the client's keys: awaited, as the daemon's answers are (answersInput implies it).
    this.transport.setLocal(new CounterState(this.consumed), now, { awaited: true });
  }
}
