import type { Scenario } from '../scenario.js';
import { keystrokeAck } from './keystroke-ack.js';
import { lossyLink } from './lossy-link.js';
import { daemonCost } from './daemon-cost.js';
import { screenCosts } from './screen-costs.js';
import { latencyTrace } from './latency-trace.js';
import { firstConnect } from './first-connect.js';
import { hostileNeighbour } from './hostile-neighbour.js';
import { forwarding } from './forwarding.js';
import { startup } from './startup.js';
import { clientMemory } from './client-memory.js';
import { clientCpu } from './client-cpu.js';
import { textThroughput } from './text-throughput.js';

/** Every benchmark, in the order the runner and docs/benchmarks.md show them. Add a scenario here to plug it in. */
export const SCENARIOS: readonly Scenario[] = [keystrokeAck, latencyTrace, daemonCost, hostileNeighbour, forwarding, lossyLink, firstConnect, startup, clientMemory, clientCpu, screenCosts, textThroughput];
