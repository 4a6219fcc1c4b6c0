// The pure half of @tsmosh/netem: the seeded impairment model and the link spec. No Node imports here, so the
// in-memory link of the simulated tests (and a browser) can use it; the UDP proxy is the "./udp" subpath.
export * from './model.js';
export * from './spec.js';
export { SeededRandom, deriveSeed } from './prng.js';
export { StreamDirection, blackoutEnd } from './stream-model.js';
