export { ManualClock } from './clock.js';
export { seededRandom, type SeededRandomness } from './random.js';
export { InMemoryLink, type InMemoryLinkInit, type InMemoryLinkCounters, type Delivery, type LinkSide } from './link.js';
export { BlobState, ByteLogState, CounterState, encodeVarint, decodeVarint } from './states.js';
export { syncStateConformance, type SyncStateArbitraries } from './conformance.js';
export { Simulation, type SimulatedEndpoint, type SimulationInit, type SideCounters } from './simulation.js';
export { EchoingServer } from './echoing-server.js';
export { createSimulatedSession, type SimulatedSession, type SimulatedSessionInit } from './session.js';
export { WAIT_BOUND_MS, isAlive, stopProcess, waitUntil } from './wait.js';
