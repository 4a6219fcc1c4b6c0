import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@tsmosh/testkit';
import { DATAGRAM_OVERHEAD_BYTES, TIMESTAMP_BYTES } from './constants.js';
import { openDatagram, decodeHeader } from './aead.js';
import { Connection } from './connection.js';
import { decodeFragment, splitIntoFragments } from './fragment.js';
import { FRAGMENT_REUSE_MAX_INSTRUCTIONS_BETWEEN, FragmentReuse, RepeatedInstructionWatch } from './fragment-reuse.js';
import { SessionKey } from './key.js';
import type { Instruction, OutgoingDatagram, PeerAddress } from './types.js';

const SERVER: PeerAddress = { host: '127.0.0.1', port: 60001 };
const CLIENT: PeerAddress = { host: '127.0.0.1', port: 50000 };
const MTU = 512; // bytes: small datagrams (MIN_MTU), so a few kilobytes make a many-fragment instruction
const CHUNK = MTU - DATAGRAM_OVERHEAD_BYTES;

/** Deterministic bytes of a seed (testkit's generator): keys, chaff and incompressible diffs. */
const seededBytes = (seed: number) => seededRandom(seed).bytes;

/** A sender (the server) that has heard its client, and that client. */
function established(seed = 1) {
  const key = SessionKey.generate(seededBytes(seed));
  const client = new Connection({ role: 'client', key, random: seededBytes(seed + 1), initialSeq: 1000n, serverAddress: SERVER, mtu: MTU });
  const server = new Connection({ role: 'server', key, random: seededBytes(seed + 2), initialSeq: 5000n, mtu: MTU });
  const hello = client.send(big(0, seededBytes(9)(1)), 0);
  for (const d of hello) server.receive(d.bytes, CLIENT, 0);
  return { key, client, server };
}

/** A state diff of `bytes` random (incompressible) bytes: `bytes / CHUNK` fragments and more. */
function big(ackNum: number, diff: Uint8Array, newNum = 7): Instruction {
  return { oldNum: 3, newNum, ackNum, throwawayNum: 3, diff, chaff: new Uint8Array(0) };
}

/** What a datagram carries: its sequence number and its fragment. */
function open(key: SessionKey, datagram: OutgoingDatagram) {
  const header = decodeHeader(datagram.bytes)!;
  const plaintext = openDatagram(key, header.direction, datagram.bytes)!;
  return { seq: header.seq, fragment: decodeFragment(plaintext.subarray(TIMESTAMP_BYTES)) };
}

describe('FragmentReuse: a large instruction sent again goes with its first try’s ID, and new fragments of its code', () => {
  it('joins the tries at the receiver: it arrives once the tries together hold any k distinct fragments, byte-exact (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2 * CHUNK, max: 20 * CHUNK }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        fc.double({ min: 0, max: 0.7, noNaN: true }),
        (diffBytes, tries, seed, loss) => {
          const { key, client, server } = established(seed);
          const random = seededBytes(seed + 3);
          const sent = big(0, random(diffBytes));
          const arrivals: Instruction[] = [];
          const held = new Set<number>();
          let k = 0;
          const ids = new Set<bigint>();
          for (let t = 0; t < tries; t++) {
            // Each try with its own chaff and throwaway number, as the transport makes them: the first try's go.
            const datagrams = server.send({ ...sent, chaff: random(t), throwawayNum: t }, 100 * t);
            if (t === 0) k = datagrams.length; // no loss seen yet: the first try is the data fragments alone
            for (const datagram of datagrams) {
              const { fragment } = open(key, datagram);
              ids.add(fragment.instructionId);
              if (random(1)[0]! / 256 < loss) continue;
              held.add(fragment.index);
              const got = client.receive(datagram.bytes, SERVER, 100 * t + 1);
              if (got !== undefined) arrivals.push(got);
            }
          }
          expect(k).toBeGreaterThan(1);
          expect(ids.size).toBe(1); // every try under one ID
          // A fragment's index names it: data below k, parity from k (fec.ts).
          const whole = held.size >= k;
          // Delivered when (and only when) the tries' fragments together hold k distinct ones; later tries hand it
          // over again (once per try), never a different one.
          expect(arrivals.length > 0).toBe(whole);
          expect(client.stats.instructionsIn).toBe(whole ? 1 : 0);
          for (const got of arrivals) expect(got).toEqual({ ...sent, chaff: new Uint8Array(0), throwawayNum: 0 });
          expect(server.stats.instructionsReused).toBe(tries - 1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a try after a complete one is handed over again once, so the transport acknowledges it; a late fragment of the completing try is not', () => {
    const { key, client, server } = established();
    const sent = big(0, seededBytes(4)(5 * CHUNK));
    const first = server.send(sent, 0);
    const got = first.map((d) => client.receive(d.bytes, SERVER, 1));
    expect(got.filter((g) => g !== undefined)).toHaveLength(1);
    const second = server.send(sent, 100);
    expect(open(key, second[0]!).fragment.instructionId).toBe(open(key, first[0]!).fragment.instructionId);
    const again = second.map((d) => client.receive(d.bytes, SERVER, 101));
    // The first fragment of the second try hands it over; the rest are ignored.
    expect(again[0]).toEqual(got.find((g) => g !== undefined));
    expect(again.slice(1).every((g) => g === undefined)).toBe(true);
    expect(client.stats.instructionsRepeated).toBe(1);
    expect(client.stats.instructionsIn).toBe(1);
  });

  it('a changed acknowledgement goes as the first try’s, and says so; the kept acknowledgement is the first try’s', () => {
    const { key, server } = established();
    const diff = seededBytes(5)(4 * CHUNK);
    const idOf = (datagrams: OutgoingDatagram[]) => open(key, datagrams[0]!).fragment.instructionId;
    const first = idOf(server.send(big(2, diff), 0));
    expect(server.lastSentAckNum).toBe(2);
    expect(idOf(server.send(big(3, diff), 0))).toBe(first);
    expect(server.lastSentAckNum).toBe(2);
    expect(idOf(server.send(big(4, diff), 0))).toBe(first);
    expect(server.lastSentAckNum).toBe(2);
    // A small instruction carries its own.
    server.send(big(4, Uint8Array.of(1)), 0);
    expect(server.lastSentAckNum).toBe(4);
  });

  it('a changed diff or state number is a new instruction with a new ID; a single fragment is never kept', () => {
    const { key, server } = established();
    const random = seededBytes(5);
    const diff = random(4 * CHUNK);
    const idOf = (datagrams: OutgoingDatagram[]) => open(key, datagrams[0]!).fragment.instructionId;
    const first = idOf(server.send(big(0, diff), 0));
    const changed = [big(0, diff, 8), big(0, Uint8Array.from(diff, (b, i) => (i === 100 ? b ^ 1 : b))), { ...big(0, diff), oldNum: 4 }];
    // Each of these replaces the kept instruction; the original is then new again.
    let previous = first;
    for (const instruction of changed) {
      const id = idOf(server.send(instruction, 0));
      expect(id).toBeGreaterThan(previous);
      previous = id;
    }
    // Small instructions are untouched: sent twice, two IDs, each its datagram's sequence number (as before).
    const small = big(0, Uint8Array.of(1, 2, 3));
    for (let i = 0; i < 2; i++) {
      const [datagram] = server.send(small, 0);
      const { seq, fragment } = open(key, datagram!);
      expect(fragment.instructionId).toBe(seq);
    }
    // And they do not displace the kept large one.
    expect(idOf(server.send(changed[2]!, 0))).toBe(previous);
  });

  it(`stops reusing an ID after ${FRAGMENT_REUSE_MAX_INSTRUCTIONS_BETWEEN} other instructions, which the receiver could take for stale`, () => {
    const { key, server } = established();
    const sent = big(0, seededBytes(6)(3 * CHUNK));
    const idOf = (datagrams: OutgoingDatagram[]) => open(key, datagrams[0]!).fragment.instructionId;
    const first = idOf(server.send(sent, 0));
    for (let i = 0; i < FRAGMENT_REUSE_MAX_INSTRUCTIONS_BETWEEN - 2; i++) server.send(big(0, Uint8Array.of(i)), 0);
    expect(idOf(server.send(sent, 0))).toBe(first); // the reused send itself counts too
    expect(idOf(server.send(sent, 0))).toBeGreaterThan(first);
  });

  it('keeps nothing for an instruction that fits one fragment, and does not reuse across a chunk size change', () => {
    const reuse = new FragmentReuse();
    const instruction = big(0, new Uint8Array(10));
    expect(reuse.sent(instruction, 1n, splitIntoFragments(1n, new Uint8Array(10), CHUNK), CHUNK, CHUNK, 0)).toBeUndefined();
    expect(reuse.find(instruction, CHUNK, 1)).toBeUndefined();
    const large = big(0, new Uint8Array(3 * CHUNK));
    reuse.sent(large, 2n, splitIntoFragments(2n, new Uint8Array(3 * CHUNK), CHUNK - 6), CHUNK, CHUNK - 6, 1);
    expect(reuse.find(large, CHUNK, 2)?.id).toBe(2n);
    expect(reuse.find(large, CHUNK - 1, 2)).toBeUndefined();
  });

  it('a resend sends parity fragments not sent before; a try in the very next datagram starts one index back, so the receiver tells the tries apart', () => {
    const { key, server } = established();
    const sent = big(0, seededBytes(7)(5 * CHUNK));
    const first = server.send(sent, 0).map((d) => open(key, d));
    const k = first.length;
    expect(first.map((o) => o.fragment.index)).toEqual([...Array(k).keys()]);
    expect(first.every((o) => o.fragment.parity === undefined)).toBe(true);
    // Straight after (nothing between): from index k − 1, so sequence number minus index moves on by one.
    const second = server.send(sent, 0).map((d) => open(key, d));
    expect(second.map((o) => o.fragment.index)).toEqual([k - 1, ...Array.from({ length: k - 1 }, (_, i) => k + i)]);
    expect(second.slice(1).every((o) => o.fragment.parity?.dataFragments === k)).toBe(true);
    expect(second[0]!.seq - BigInt(second[0]!.fragment.index)).toBe(first[0]!.seq + 1n);
    // After another datagram: straight on from the next index.
    server.send(big(0, Uint8Array.of(1)), 0);
    const third = server.send(sent, 0).map((d) => open(key, d));
    expect(third[0]!.fragment.index).toBe(2 * k - 1);
    expect(server.stats.parityFragmentsOut).toBe(2 * k - 1);
  });

  it('with the peer’s datagrams missing, the first try carries parity, and any k of its fragments give the instruction', () => {
    const { key, client, server } = established();
    // The client's datagrams with every fifth one lost on the way: the server sees 20 % missing.
    for (let i = 0; i < 80; i++) {
      const datagrams = client.send(big(0, Uint8Array.of(i), 100 + i), i);
      if (i % 5 !== 4) for (const d of datagrams) server.receive(d.bytes, CLIENT, i);
    }
    const sent = big(0, seededBytes(8)(20 * CHUNK), 900);
    const datagrams = server.send(sent, 100);
    const k = datagrams.filter((d) => open(key, d).fragment.parity === undefined).length;
    expect(datagrams.length).toBeGreaterThan(k / 0.8);
    // As many lost as there are parity fragments, all of them data: the k left (parity mostly) still give it.
    const arrived = datagrams.slice(datagrams.length - k).map((d) => client.receive(d.bytes, SERVER, 101));
    expect(arrived.filter((g) => g !== undefined)).toEqual([{ ...sent, chaff: expect.any(Uint8Array) as Uint8Array }]);
    expect(client.stats.instructionsDecoded).toBe(1);
  });
});

describe('RepeatedInstructionWatch', () => {
  const instruction = big(0, Uint8Array.of(1));
  it('hands the instruction over once per later try, told by sequence number minus index', () => {
    const watch = new RepeatedInstructionWatch();
    watch.delivered(50n, 3, true, 53n, instruction); // try starting at 50
    expect(watch.repeated(50n, 1, 51n)).toBeUndefined(); // the same try, late
    expect(watch.repeated(49n, 0, 60n)).toBeUndefined(); // another ID
    expect(watch.repeated(50n, 2, 62n)).toBe(instruction); // a try starting at 60
    expect(watch.repeated(50n, 0, 60n)).toBeUndefined(); // its other fragments
    expect(watch.repeated(50n, 3, 63n)).toBeUndefined();
    expect(watch.repeated(50n, 0, 70n)).toBe(instruction); // the next try
  });
  it('ignores single-fragment instructions (each resend of one is a new instruction)', () => {
    const watch = new RepeatedInstructionWatch();
    watch.delivered(50n, 0, true, 50n, instruction);
    expect(watch.repeated(50n, 0, 60n)).toBeUndefined();
  });
});
