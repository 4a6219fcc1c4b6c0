import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@tsmosh/testkit';
import { sealDatagram } from './aead.js';
import { writeU16 } from './bytes.js';
import {
  DATAGRAM_OVERHEAD_BYTES,
  DEFAULT_IPV4_MTU,
  DEFAULT_IPV6_MTU,
  HEADER_BYTES,
  INFLATE_BURST_BYTES,
  INFLATE_BYTES_PER_SECOND,
  MAX_DATAGRAM_BYTES,
  PARITY_HEADER_BYTES,
  REPLAY_WINDOW_BITS,
  TIMESTAMP_NONE,
} from './constants.js';
import { Connection } from './connection.js';
import { encodeFragment } from './fragment.js';
import { SessionKey } from './key.js';
import { totalDrops, type ConnectionStats } from './stats.js';
import type { Instruction, PeerAddress } from './types.js';

const SERVER: PeerAddress = { host: '127.0.0.1', port: 60001 };
const CLIENT_A: PeerAddress = { host: '127.0.0.1', port: 50000 };
const CLIENT_B: PeerAddress = { host: '10.0.0.7', port: 41000 };
const START_SEQ = 1_700_000_000_000n * 1_048_576n;

/** Deterministic bytes of a seed (testkit's generator): keys, chaff and incompressible diffs. */
const seededBytes = (seed: number) => seededRandom(seed).bytes;

function keyFromSeed(seed: number): SessionKey {
  return SessionKey.generate(seededBytes(seed));
}

function pair(options: { key?: SessionKey; mtu?: number; serverAddress?: PeerAddress } = {}) {
  const key = options.key ?? keyFromSeed(1);
  const client = new Connection({ role: 'client', key, random: seededBytes(2), initialSeq: START_SEQ, serverAddress: options.serverAddress ?? SERVER, mtu: options.mtu });
  const server = new Connection({ role: 'server', key, random: seededBytes(3), initialSeq: START_SEQ + 5n, mtu: options.mtu });
  return { key, client, server };
}

function instruction(overrides: Partial<Instruction> = {}): Instruction {
  return { oldNum: 1, newNum: 2, ackNum: 0, throwawayNum: 1, diff: new TextEncoder().encode('ls -l\r'), chaff: Uint8Array.of(1, 2, 3), ...overrides };
}

/** Every arrival lands in exactly one bucket: accepted or one datagram-level drop counter. */
function expectBalanced(stats: ConnectionStats): void {
  expect(stats.datagramsIn).toBe(stats.datagramsAccepted + totalDrops(stats) - stats.dropBadInstruction);
}

function establish() {
  const p = pair();
  const [hello] = p.client.send(instruction(), 0);
  expect(p.server.receive(hello!.bytes, CLIENT_A, 10)).toEqual(instruction());
  return { ...p, hello: hello! };
}

describe('Connection: the happy path', () => {
  it('carries an instruction client → server, and the server answers to the address it heard from', () => {
    const { client, server } = pair();
    expect(server.send(instruction(), 0)).toEqual([]); // no client yet
    const datagrams = client.send(instruction(), 0);
    expect(datagrams).toHaveLength(1);
    expect(datagrams[0]!.to).toEqual(SERVER);
    expect(server.receive(datagrams[0]!.bytes, CLIENT_A, 5)).toEqual(instruction());
    expect(server.remoteAddress).toEqual(CLIENT_A);
    expect(server.lastHeardAt).toBe(5);
    const reply = server.send(instruction({ diff: Uint8Array.of(9) }), 6);
    expect(reply[0]!.to).toEqual(CLIENT_A);
    expect(client.receive(reply[0]!.bytes, SERVER, 12)).toEqual(instruction({ diff: Uint8Array.of(9) }));
    expect(client.stats).toMatchObject({ datagramsOut: 1, datagramsIn: 1, instructionsIn: 1, instructionsOut: 1, bytesOut: datagrams[0]!.bytes.length });
    expectBalanced(client.stats);
    expectBalanced(server.stats);
  });

  it('uses one fresh sequence number per datagram and the first one as the instruction ID', () => {
    const { client } = pair();
    client.send(instruction(), 0);
    client.send(instruction({ diff: seededBytes(5)(5000) }), 0); // incompressible: 5 fragments
    expect(client.nextSequence).toBe(START_SEQ + 1n + 5n);
  });

  it('a small keystroke datagram costs the documented overhead', () => {
    const { client } = pair();
    const keystroke: Instruction = { oldNum: 5, newNum: 6, ackNum: 3, throwawayNum: 5, diff: Uint8Array.of(0x61), chaff: new Uint8Array() };
    const [datagram] = client.send(keystroke, 0);
    expect(datagram!.bytes).toHaveLength(DATAGRAM_OVERHEAD_BYTES + 2 + 4 + 1 + 1 + 1);
  });

  it('fragments to the MTU (1252 over IPv4, 1216 over IPv6), leaving room for a parity header, and reassembles', () => {
    const big = instruction({ diff: seededBytes(6)(20_000) });
    for (const [host, mtu] of [
      ['127.0.0.1', DEFAULT_IPV4_MTU],
      ['::1', DEFAULT_IPV6_MTU],
    ] as const) {
      const { client, server } = pair({ serverAddress: { host, port: 60001 } });
      const datagrams = client.send(big, 0);
      expect(datagrams.length).toBeGreaterThan(15);
      for (const d of datagrams) expect(d.bytes.length).toBeLessThanOrEqual(mtu);
      // Data fragments of an instruction of several leave room for the parity fragments' header (fragment.ts).
      expect(datagrams.slice(0, -1).every((d) => d.bytes.length === mtu - PARITY_HEADER_BYTES)).toBe(true);
      const results = datagrams.map((d) => server.receive(d.bytes, CLIENT_A, 1));
      expect(results.slice(0, -1).every((r) => r === undefined)).toBe(true);
      expect(results.at(-1)).toEqual(big);
    }
  });

  it('honours an explicit MTU and refuses impossible ones', () => {
    const { client } = pair({ mtu: 600 });
    for (const d of client.send(instruction({ diff: new Uint8Array(3000).map((_, i) => i * 31) }), 0)) expect(d.bytes.length).toBeLessThanOrEqual(600);
    // An incompressible one's resend carries parity fragments, which fit the MTU too.
    const random = instruction({ diff: seededBytes(8)(3000) });
    for (const d of client.send(random, 0)) expect(d.bytes.length).toBeLessThanOrEqual(600);
    const resend = client.send(random, 0);
    expect(client.stats.parityFragmentsOut).toBeGreaterThan(0);
    for (const d of resend) expect(d.bytes.length).toBeLessThanOrEqual(600);
    const key = keyFromSeed(1);
    expect(() => new Connection({ role: 'client', key, random: seededBytes(1), initialSeq: 0n, mtu: 300 })).toThrow(/mtu 300 must be an integer in 512\.\.2048/);
    expect(() => new Connection({ role: 'client', key, random: seededBytes(1), initialSeq: -1n })).toThrow(/initialSeq/);
    expect(() => new Connection({ role: 'server', key, random: seededBytes(1), initialSeq: 0n, serverAddress: SERVER })).toThrow(/serverAddress is for the client/);
  });

  it('lets the client shell change the server address; a server cannot', () => {
    const { client, server } = pair();
    client.serverAddress = CLIENT_B;
    expect(client.send(instruction(), 0)[0]!.to).toEqual(CLIENT_B);
    expect(client.remoteAddress).toEqual(CLIENT_B);
    client.serverAddress = undefined;
    expect(client.send(instruction(), 0)).toEqual([]);
    expect(() => (server.serverAddress = SERVER)).toThrow(/only a client/);
  });

  it('delivers every instruction whose fragments all arrive, under shuffles and duplicates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6000 }), { minLength: 1, maxLength: 6 }),
        fc.integer(),
        (sizes, seed) => {
          const { client, server } = pair();
          const random = seededBytes(seed);
          const sent = sizes.map((size, i) => instruction({ newNum: i + 2, diff: random(size) }));
          const datagrams = sent.flatMap((inst) => client.send(inst, 0));
          const order = [...datagrams, ...datagrams.filter((_, i) => i % 3 === 0)];
          const shuffleKeys = random(order.length);
          order.sort((a, b) => shuffleKeys[order.indexOf(a)]! - shuffleKeys[order.indexOf(b)]!);
          const received = order.map((d) => server.receive(d.bytes, CLIENT_A, 1)).filter((r) => r !== undefined);
          expect(received).toHaveLength(sent.length);
          expect(new Set(received.map((r) => r.newNum))).toEqual(new Set(sent.map((s) => s.newNum)));
          for (const r of received) expect(r).toEqual(sent[r.newNum - 2]);
          expect(server.stats.dropReplay).toBe(order.length - datagrams.length);
          expectBalanced(server.stats);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('Connection: the peer\'s datagrams that never came (datagramsMissed, the transport\'s loss signal)', () => {
  it('counts a skipped number once a datagram numbered 3 past it arrived without it; a datagram overtaken by one or two is reordering, not loss; lastReceivedSkipped: the numbers the newest datagram skipped', () => {
    const { client, server } = pair();
    const datagrams = Array.from({ length: 12 }, (_, i) => client.send(instruction({ newNum: i + 2 }), i)[0]!);
    const deliver = (i: number) => server.receive(datagrams[i]!.bytes, CLIENT_A, 100 + i);
    deliver(0);
    // 1 overtaken by 2 and 3, then arrives: reordered.
    deliver(2);
    deliver(3);
    deliver(1);
    expect(server.stats.datagramsMissed).toBe(0);
    expect(server.lastReceivedSkipped).toBe(0); // 1, late
    // 4 never comes: missed once 7 has arrived, not before.
    deliver(5);
    expect(server.lastReceivedSkipped).toBe(1);
    deliver(6);
    expect(server.stats.datagramsMissed).toBe(0);
    deliver(7);
    expect(server.stats.datagramsMissed).toBe(1);
    // 8 and 9 never come: each counted once a datagram numbered 3 past it arrived.
    deliver(10);
    expect(server.lastReceivedSkipped).toBe(2);
    expect(server.stats.datagramsMissed).toBe(1);
    deliver(11);
    expect(server.stats.datagramsMissed).toBe(2);
    deliver(11); // a replay is dropped and changes nothing
    expect(server.stats.datagramsMissed).toBe(2);
    const later = client.send(instruction({ newNum: 20 }), 20)[0]!;
    server.receive(later.bytes, CLIENT_A, 120);
    expect(server.stats.datagramsMissed).toBe(3);
  });

  it('a restarted peer (its numbers jump from the clock) is no loss', () => {
    const { key, client, server } = pair();
    server.receive(client.send(instruction(), 0)[0]!.bytes, CLIENT_A, 0);
    const restarted = new Connection({ role: 'client', key, random: seededBytes(4), initialSeq: START_SEQ + (1000n << 20n), serverAddress: SERVER });
    server.receive(restarted.send(instruction({ newNum: 3 }), 1000)[0]!.bytes, CLIENT_A, 1000);
    expect(server.lastReceivedSkipped).toBe(0); // a jump wider than the replay window: no datagrams skipped
    for (let i = 1; i < 5; i++) server.receive(restarted.send(instruction({ newNum: 3 + i }), 1000 + i)[0]!.bytes, CLIENT_A, 1000 + i);
    expect(server.stats.datagramsMissed).toBe(0);
  });
});

describe('Connection: hostile input never throws, is never accepted, and moves the right counter', () => {
  it('random bytes', () => {
    const { server } = establish();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), (bytes, looksLikeOurs) => {
        if (looksLikeOurs && bytes.length > HEADER_BYTES) {
          bytes[0] = 1; // version and session ID right: must still fail authentication
          bytes.set(server.key.sessionId, 1);
          bytes[9]! &= 0x7f;
        }
        const before = { ...server.stats };
        expect(server.receive(bytes, CLIENT_B, 20)).toBeUndefined();
        expect(server.stats.datagramsAccepted).toBe(before.datagramsAccepted);
        expect(totalDrops(server.stats)).toBe(totalDrops(before) + 1);
        expect(server.remoteAddress).toEqual(CLIENT_A);
      }),
      { numRuns: 1000 },
    );
    expectBalanced(server.stats);
  });

  it('every single-bit flip of a valid datagram', () => {
    const { client, server } = pair();
    const datagram = client.send(instruction(), 0)[0]!.bytes;
    for (let bit = 0; bit < datagram.length * 8; bit++) {
      const flipped = datagram.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      const before = { ...server.stats };
      expect(server.receive(flipped, CLIENT_B, 1)).toBeUndefined();
      const byte = bit >> 3;
      const expected =
        byte === 0 ? 'dropUnknownVersion' : byte <= 8 ? 'dropWrongSession' : byte === 9 && (bit & 7) === 7 ? 'dropWrongDirection' : 'dropBadTag';
      expect(server.stats[expected], `bit ${bit}`).toBe(before[expected] + 1);
      expect(totalDrops(server.stats)).toBe(totalDrops(before) + 1);
    }
    expect(server.stats.datagramsAccepted).toBe(0);
    expect(server.remoteAddress).toBeUndefined();
    expect(server.receive(datagram, CLIENT_A, 2)).toEqual(instruction()); // the original is still good
  });

  it('truncation at every length', () => {
    const { client, server } = pair();
    const datagram = client.send(instruction(), 0)[0]!.bytes;
    for (let length = 0; length < datagram.length; length++) {
      expect(server.receive(datagram.subarray(0, length), CLIENT_A, 1)).toBeUndefined();
    }
    expect(server.stats.dropTruncated).toBe(DATAGRAM_OVERHEAD_BYTES);
    expect(server.stats.dropBadTag).toBe(datagram.length - DATAGRAM_OVERHEAD_BYTES);
    expect(server.stats.datagramsAccepted).toBe(0);
  });

  it('replays, too-old datagrams, reflections, wrong keys, forged session IDs and oversize datagrams', () => {
    const { key, client, server, hello } = establish();
    expect(server.receive(hello.bytes, CLIENT_A, 20)).toBeUndefined();
    expect(server.stats.dropReplay).toBe(1);

    const old = client.send(instruction(), 0)[0]!.bytes;
    for (let i = 0; i < REPLAY_WINDOW_BITS; i++) client.send(instruction(), 0);
    expect(server.receive(client.send(instruction(), 0)[0]!.bytes, CLIENT_A, 21)).toBeDefined();
    expect(server.receive(old, CLIENT_A, 22)).toBeUndefined();
    expect(server.stats.dropTooOld).toBe(1);

    // A server's own datagram reflected back to it.
    const own = server.send(instruction(), 23)[0]!.bytes;
    expect(server.receive(own, CLIENT_A, 24)).toBeUndefined();
    expect(server.stats.dropWrongDirection).toBe(1);

    // Same session ID, different secret: authentication fails.
    const impostorKey = SessionKey.parse(key.toString().slice(0, 11) + (key.toString()[11] === 'A' ? 'B' : 'A') + key.toString().slice(12));
    expect(impostorKey.sessionIdHex).toBe(key.sessionIdHex);
    const impostor = new Connection({ role: 'client', key: impostorKey, random: seededBytes(9), initialSeq: START_SEQ * 2n, serverAddress: SERVER });
    expect(server.receive(impostor.send(instruction(), 0)[0]!.bytes, CLIENT_B, 25)).toBeUndefined();
    expect(server.stats.dropBadTag).toBe(1);

    // Another session entirely.
    const stranger = new Connection({ role: 'client', key: keyFromSeed(77), random: seededBytes(9), initialSeq: START_SEQ * 2n, serverAddress: SERVER });
    expect(server.receive(stranger.send(instruction(), 0)[0]!.bytes, CLIENT_B, 26)).toBeUndefined();
    expect(server.stats.dropWrongSession).toBe(1);

    const oversize = new Uint8Array(MAX_DATAGRAM_BYTES + 1);
    oversize.set(hello.bytes);
    expect(server.receive(oversize, CLIENT_B, 27)).toBeUndefined();
    expect(server.stats.dropOversize).toBe(1);

    expect(server.remoteAddress).toEqual(CLIENT_A);
    expectBalanced(server.stats);
  });

  it('a forged header with a far-future sequence number does not move the replay window', () => {
    const { client, server } = establish();
    const genuine = client.send(instruction({ newNum: 3 }), 1)[0]!.bytes;
    const forged = genuine.slice();
    forged.set([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 9);
    expect(server.receive(forged, CLIENT_B, 2)).toBeUndefined();
    expect(server.stats.dropBadTag).toBe(1);
    expect(server.receive(genuine, CLIENT_A, 3)).toEqual(instruction({ newNum: 3 }));
  });

  it('authentic but malformed fragments and instructions (a buggy or hostile keyed peer)', () => {
    const { key, server } = pair();
    let seq = START_SEQ;
    const sealed = (fragmentBytes: Uint8Array) => {
      const plaintext = new Uint8Array(4 + fragmentBytes.length);
      writeU16(plaintext, 0, 0);
      writeU16(plaintext, 2, TIMESTAMP_NONE);
      plaintext.set(fragmentBytes, 4);
      return sealDatagram(key, 'to-server', seq++, plaintext);
    };
    expect(server.receive(sealed(encodeFragment({ instructionId: 1n, index: 0, final: true, chunk: Uint8Array.of(1, 0, 9) })), CLIENT_A, 1)).toBeUndefined();
    expect(server.stats.dropBadInstruction).toBe(1);
    server.receive(sealed(encodeFragment({ instructionId: 2n, index: 5, final: false, chunk: Uint8Array.of(1) })), CLIENT_A, 1);
    server.receive(sealed(encodeFragment({ instructionId: 2n, index: 1, final: true, chunk: Uint8Array.of(1) })), CLIENT_A, 1);
    expect(server.stats.dropBadFragment).toBe(1);
    // A parity fragment cut short of its header, and one with the final flag (no sender makes either).
    const parity = encodeFragment({ instructionId: 3n, index: 2, final: false, chunk: Uint8Array.of(1), parity: { dataFragments: 2, instructionBytes: 2 } });
    const truncatedBefore = server.stats.dropTruncated;
    expect(server.receive(sealed(parity.subarray(0, 12)), CLIENT_A, 1)).toBeUndefined();
    expect(server.stats.dropTruncated).toBe(truncatedBefore + 1);
    const finalParity = parity.slice();
    finalParity[8]! |= 0x80;
    expect(server.receive(sealed(finalParity), CLIENT_A, 1)).toBeUndefined();
    expect(server.stats.dropBadFragment).toBe(2);
    expectBalanced(server.stats);
  });
});

describe('Connection: the inflate budget (a keyed peer cannot make us inflate without end)', () => {
  /**
   * An instruction whose diff is all zeros: a few KiB deflated, `inflated` bytes once inflated. Each a new state
   * number: the same instruction sent again would go under its first ID, joining it rather than inflating again
   * (fragment-reuse.ts).
   */
  let bombs = 0;
  const bomb = (inflated: number): Instruction => instruction({ newNum: ++bombs, diff: new Uint8Array(inflated - 64), chaff: new Uint8Array(0) });

  it(`inflates at most ${INFLATE_BURST_BYTES / 1048576} MiB at once and ${INFLATE_BYTES_PER_SECOND / 1048576} MiB a second, dropping and counting the rest`, () => {
    const { client, server } = pair();
    const oneMiB = 1024 * 1024;
    const deliver = (now: number): number => {
      let accepted = 0;
      for (const datagram of client.send(bomb(4 * oneMiB), now)) if (server.receive(datagram.bytes, CLIENT_A, now) !== undefined) accepted++;
      return accepted;
    };
    const wire = client.send(bomb(4 * oneMiB), 0).reduce((sum, datagram) => sum + datagram.bytes.length, 0);
    expect(wire).toBeLessThan(8 * 1024); // the attack: a few KB on the wire
    let accepted = 0;
    for (let i = 0; i < 10; i++) accepted += deliver(0);
    expect(accepted).toBe(INFLATE_BURST_BYTES / (4 * oneMiB));
    expect(server.stats.dropInflateBudget).toBe(10 - accepted);
    // A second later the budget has refilled by a second's worth, never beyond the burst.
    let later = 0;
    for (let i = 0; i < 10; i++) later += deliver(1000);
    expect(later).toBe(Math.min(INFLATE_BURST_BYTES, INFLATE_BYTES_PER_SECOND) / (4 * oneMiB));
  });

  it('never touches honest traffic: keystrokes, and a 1 MiB paste every 250 ms', () => {
    const { client, server } = pair();
    const paste = new Uint8Array(1024 * 1024).map((_, i) => 32 + ((i * 7) % 90));
    for (let now = 0; now < 5000; now += 250) {
      for (const datagram of client.send(instruction({ newNum: now + 2, diff: paste }), now)) server.receive(datagram.bytes, CLIENT_A, now);
      for (const datagram of client.send(instruction(), now + 50)) server.receive(datagram.bytes, CLIENT_A, now + 50);
    }
    expect(server.stats.dropInflateBudget).toBe(0);
    expect(server.stats.instructionsIn).toBe(40);
  });
});

describe('Connection: roaming (server follows the newest authentic datagram)', () => {
  it('moves to a new address on a newer authentic datagram', () => {
    const { client, server } = establish();
    expect(server.receive(client.send(instruction(), 30)[0]!.bytes, CLIENT_B, 40)).toBeDefined();
    expect(server.remoteAddress).toEqual(CLIENT_B);
    expect(server.send(instruction(), 41)[0]!.to).toEqual(CLIENT_B);
  });

  it('does not move on a replayed datagram from a new address', () => {
    const { server, hello } = establish();
    server.receive(hello.bytes, CLIENT_B, 40);
    expect(server.remoteAddress).toEqual(CLIENT_A);
  });

  it('does not move on an older authentic datagram arriving late from another address', () => {
    const { client, server } = establish();
    const older = client.send(instruction(), 20)[0]!.bytes;
    const newer = client.send(instruction(), 21)[0]!.bytes;
    server.receive(newer, CLIENT_A, 30);
    expect(server.receive(older, CLIENT_B, 31)).toBeDefined(); // still delivered: fresh within the window
    expect(server.remoteAddress).toEqual(CLIENT_A);
  });

  it('does not move on a forged datagram from a new address', () => {
    const { client, server } = establish();
    const forged = client.send(instruction(), 20)[0]!.bytes;
    forged[forged.length - 1]! ^= 1;
    server.receive(forged, CLIENT_B, 30);
    expect(server.remoteAddress).toEqual(CLIENT_A);
  });

  it('accepts a restarted client with the same key and a later clock-derived start', () => {
    const { key, server } = establish();
    const restarted = new Connection({ role: 'client', key, random: seededBytes(4), initialSeq: START_SEQ + 60_000n * 1_048_576n, serverAddress: SERVER });
    expect(server.receive(restarted.send(instruction({ newNum: 9 }), 0)[0]!.bytes, CLIENT_B, 50)).toEqual(instruction({ newNum: 9 }));
    expect(server.remoteAddress).toEqual(CLIENT_B);
  });

  it('the client never roams: it keeps sending to its server address whatever the source of replies', () => {
    const { client, server } = establish();
    client.receive(server.send(instruction(), 20)[0]!.bytes, CLIENT_B, 30);
    expect(client.remoteAddress).toEqual(SERVER);
  });
});

describe('Connection: timestamps and RTT (manual clock)', () => {
  it('measures the true round trip, discounting how long the peer held the timestamp', () => {
    const { client, server } = pair();
    // client sends at 1000; 30 ms one way; server holds 20 ms; 30 ms back: true network RTT 60 ms.
    server.receive(client.send(instruction(), 1000)[0]!.bytes, CLIENT_A, 1030);
    const reply = server.send(instruction(), 1050);
    expect(client.rtt.hasSample).toBe(false);
    client.receive(reply[0]!.bytes, SERVER, 1080);
    expect(client.rtt.hasSample).toBe(true);
    expect(client.rtt.srtt).toBe(60);
  });

  it('echoes a timestamp once, and not after holding it a second or more', () => {
    const { client, server } = pair();
    server.receive(client.send(instruction(), 0)[0]!.bytes, CLIENT_A, 10);
    client.receive(server.send(instruction(), 20)[0]!.bytes, SERVER, 30); // 10 out + 10 back
    expect(client.rtt.srtt).toBe(20);
    client.receive(server.send(instruction(), 25)[0]!.bytes, SERVER, 500); // no echo: would have sampled 475
    expect(client.rtt.srtt).toBe(20);
    server.receive(client.send(instruction(), 600)[0]!.bytes, CLIENT_A, 610);
    client.receive(server.send(instruction(), 1610)[0]!.bytes, SERVER, 1620); // held 1000 ms: no echo
    expect(client.rtt.srtt).toBe(20);
  });

  it('only the first fragment of a large instruction carries the echo', () => {
    const { client, server } = pair();
    server.receive(client.send(instruction(), 0)[0]!.bytes, CLIENT_A, 10);
    const datagrams = server.send(instruction({ diff: seededBytes(7)(4000) }), 20);
    expect(datagrams.length).toBeGreaterThan(1);
    for (const d of datagrams.reverse()) client.receive(d.bytes, SERVER, 40); // last fragment first: the newest seq
    // The newest datagram carries no echo, and older ones do not sample: no sample from this burst.
    expect(client.rtt.hasSample).toBe(false);
  });

  it('works across the 16-bit timestamp wrap and seeds from the shell', () => {
    const { key } = pair();
    const client = new Connection({ role: 'client', key, random: seededBytes(2), initialSeq: 0n, serverAddress: SERVER, initialRttMs: 250 });
    const server = new Connection({ role: 'server', key, random: seededBytes(3), initialSeq: 0n });
    expect(client.rtt.rto()).toBe(750);
    server.receive(client.send(instruction(), 65_530)[0]!.bytes, CLIENT_A, 65_540);
    client.receive(server.send(instruction(), 65_541)[0]!.bytes, SERVER, 65_552); // 10 out + 11 back
    expect(client.rtt.srtt).toBe(21);
  });
});

describe('Connection: channel packets beside instructions', () => {
  it('seals a channel packet into one datagram that reaches the sink, not the transport, and follows a roam', () => {
    const { client, server } = establish();
    const received: Array<{ payload: number[]; now: number }> = [];
    server.channelSink = (payload, now) => received.push({ payload: [...payload], now });
    const datagram = client.sendChannelPacket(Uint8Array.of(9, 8, 7), 20)!;
    expect(datagram.to).toEqual(SERVER);
    expect(datagram.bytes.length).toBe(DATAGRAM_OVERHEAD_BYTES + 1 + 3);
    // From a new address: authentic and newest, so it moves the server's target as an instruction would.
    expect(server.receive(datagram.bytes, CLIENT_B, 30)).toBeUndefined();
    expect(received).toEqual([{ payload: [9, 8, 7], now: 30 }]);
    expect(server.remoteAddress).toEqual(CLIENT_B);
    expect(server.stats).toMatchObject({ channelPacketsIn: 1, instructionsIn: 1, dropBadInstruction: 0 });
    expect(client.stats.channelPacketsOut).toBe(1);
    expect(server.sendChannelPacket(Uint8Array.of(1), 40)!.to).toEqual(CLIENT_B);
  });

  it('drops a channel packet as a bad instruction where nothing takes channels, and refuses one too big for a datagram', () => {
    const { client, server } = establish();
    server.receive(client.sendChannelPacket(Uint8Array.of(1), 20)!.bytes, CLIENT_A, 30);
    expect(server.stats.dropBadInstruction).toBe(1);
    expect(client.channelPacketBytes()).toBe(DEFAULT_IPV4_MTU - DATAGRAM_OVERHEAD_BYTES - 1);
    expect(() => client.sendChannelPacket(new Uint8Array(client.channelPacketBytes() + 1), 40)).toThrow(/do not fit one datagram/);
    // A server that has not heard from anyone has nowhere to send.
    const fresh = pair().server;
    expect(fresh.sendChannelPacket(Uint8Array.of(1), 0)).toBeUndefined();
    expect(fresh.channelPacketBytes()).toBe(DEFAULT_IPV6_MTU - DATAGRAM_OVERHEAD_BYTES - 1);
  });
});
