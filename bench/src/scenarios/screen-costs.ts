/**
 * What screen synchronization costs (issue 3): for typical updates, the bytes of the screen diff, of the encoded
 * (deflated) instruction and of the sealed datagrams, and the bytes the client's renderer writes to the local
 * terminal; then the CPU time to mirror a 10 MB mixed output (parse + snapshot per 64 KiB chunk) and to run the frame
 * pipeline a session adds (server: diff + instruction encoding; client: decoding + applying + rendering).
 *
 * Everything runs on real emulator output: deterministic program output (bench/src/screen/) is fed to the server's
 * HeadlessMirror (@xterm/headless), and its snapshots are what the session would diff and send. Nothing touches the
 * network: the sizes come from the protocol's own codecs and a real server Connection's sealed datagrams.
 */
import { zlibSync } from 'fflate';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Connection, SessionKey, TSMOSH_TIMING, decodeInstruction, encodeInstruction, type Instruction } from '@tsmosh/protocol';
import { SeededRandom } from '@tsmosh/netem';
import { Renderer, ScreenState, framebuffersEqual, type Framebuffer } from '@tsmosh/terminal';
import { HeadlessMirror } from '@tsmosh/server';
import type { BenchContext, Scenario, ScenarioResult, Table } from '../scenario.js';
import { mixedOutput, type MixedOutputShare } from '../screen/mixed-output.js';
import { typicalUpdates, type UpdateScript } from '../screen/updates.js';
import { formatRatio, median } from '../stats.js';

/** Screen sizes: mosh's and a terminal's default 80×24, and a large window (a maximised terminal on a laptop). */
const SIZES: ReadonlyArray<{ cols: number; rows: number }> = [
  { cols: 80, rows: 24 },
  { cols: 200, rows: 50 },
];
/** bytes: the mixed output fed for the CPU figures (the 10 MB; MB here is 10^6 bytes throughout). */
const MIXED_OUTPUT_BYTES = 10_000_000;
/** bytes: one pty read as node-pty delivers it under a flood (its read buffer), fed to the mirror at a time. */
const CHUNK_BYTES = 64 * 1024;
/** Repetitions of each CPU measurement (the median is reported): enough to shrug off one noisy neighbour. */
const REPETITIONS = { quick: 3, full: 7 } as const;
/** Seed of the mixed output: any fixed value; changing it changes the stream, not its mix. */
const MIXED_OUTPUT_SEED = 10;
/**
 * bytes of chaff per instruction: the transport adds 0–`chaffMaxBytes` (16) random bytes to every instruction; the
 * mean, 8, is used so the sizes are what a datagram carries on average (random bytes do not compress).
 */
const CHAFF_BYTES = TSMOSH_TIMING.chaffMaxBytes / 2;
/**
 * ms: the session snapshots at most this often (SNAPSHOT_MIN_INTERVAL_MS in packages/server/src/session.ts, mosh's
 * collection interval) and sends at most one frame per `sendIntervalMinMs` (20 ms): the cadence of a flood.
 */
const SNAPSHOT_INTERVAL_MS = 8;
const FRAME_INTERVAL_MS = TSMOSH_TIMING.sendIntervalMinMs;
/** bytes of UDP payload around each compressed chunk in mosh (mosh's datagram: seq 8, timestamps 4, tag 16, fragment 10). */
const MOSH_DATAGRAM_OVERHEAD_BYTES = 38;
/** bytes of compressed instruction per mosh datagram (a full mosh fragment carries 1214). */
const MOSH_CHUNK_BYTES = 1214;

/**
 * bytes: mosh's protobuf framing of a screen instruction (protocol version, four state numbers, field tags and
 * lengths of the diff, chaff and HostMessage wrappers), which barely compresses. Calibrated on the observed one-key
 * datagram (measured on mosh: 67–84 B, mean 75.5): 75.5 − 38 overhead − 8 mean chaff − ~9 of zlib for the key.
 */
const MOSH_FRAMING_BYTES = 20;

/**
 * What mosh would put on the wire for the same change, estimated: mosh's screen diff is terminal bytes made by its
 * Display from a framebuffer pair , as tsmosh's renderer makes them, zlib-compressed with the rest of
 * the instruction. The estimate is zlib(renderer bytes) + framing + mean chaff + 38 bytes per datagram.
 * mosh's Display is not tsmosh's renderer (it also detects scrolls, but its choices differ), so this is a yardstick,
 * not a measurement of mosh.
 */
function moshStyleEstimate(rendered: Uint8Array): number {
  const compressed = zlibSync(rendered, { level: 6 }).length + MOSH_FRAMING_BYTES + CHAFF_BYTES;
  return compressed + MOSH_DATAGRAM_OVERHEAD_BYTES * Math.max(1, Math.ceil(compressed / MOSH_CHUNK_BYTES));
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Source files of the measured packages newer than their build. `npm run bench` builds bench/ and what it references
 * (protocol, netem), but this scenario runs @tsmosh/terminal and @tsmosh/server from their dist/, which only
 * `npm run build` refreshes: stale output would be measured silently.
 */
function staleSources(): string[] {
  const stale: string[] = [];
  const modifiedAt = (path: string): number => {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return -Infinity; // never built
    }
  };
  for (const pkg of ['terminal', 'server']) {
    const sourceDir = join(ROOT, 'packages', pkg, 'src');
    // tsc -b rewrites .tsbuildinfo on every build that saw a change, but not an output whose text is unchanged.
    const lastBuild = modifiedAt(join(ROOT, 'packages', pkg, 'dist', '.tsbuildinfo'));
    for (const file of readdirSync(sourceDir, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || /\.(test|test-helpers|d)\.ts$/.test(file)) continue; // what the packages' tsconfig excludes
      const builtAt = Math.max(lastBuild, modifiedAt(join(ROOT, 'packages', pkg, 'dist', file.replace(/\.ts$/, '.js'))));
      if (modifiedAt(join(sourceDir, file)) > builtAt) stale.push(`packages/${pkg}/src/${file}`);
    }
  }
  return stale;
}

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** CPU time (user + system) of this process so far, in ms. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function feed(mirror: HeadlessMirror, data: Uint8Array): Promise<void> {
  return mirror.write(data);
}

/** A server Connection that has heard from its client, so its send() seals real datagrams. */
function serverConnection(seed: number): Connection {
  const prng = new SeededRandom(seed);
  const random = (n: number): Uint8Array => prng.nextBytes(n);
  const key = SessionKey.generate(random);
  const server = new Connection({ role: 'server', key, random, initialSeq: 0n });
  const client = new Connection({ role: 'client', key, random, initialSeq: 0n, serverAddress: { host: '127.0.0.1', port: 60001 } });
  const [hello] = client.send({ oldNum: 0, newNum: 0, ackNum: 0, throwawayNum: 0, diff: EMPTY, chaff: EMPTY }, 0);
  server.receive(hello!.bytes, { host: '127.0.0.1', port: 50000 }, 0);
  if (server.remoteAddress === undefined) throw new Error('screen-costs: the server Connection did not accept its client hello (protocol changed?)');
  return server;
}

interface FrameCost {
  ptyBytes: number;
  diffBytes: number;
  instructionBytes: number;
  datagrams: number;
  wireBytes: number;
  rendererBytes: number;
  moshStyleBytes: number;
}

interface UpdateResult {
  update: string;
  cols: number;
  rows: number;
  frames: FrameCost[];
}

async function measureUpdate(script: UpdateScript, cols: number, rows: number, seed: number): Promise<UpdateResult> {
  const mirror = new HeadlessMirror({ cols, rows, onReply: () => {} });
  const connection = serverConnection(seed);
  const chaff = new SeededRandom(seed + 1).nextBytes(CHAFF_BYTES);
  try {
    await feed(mirror, utf8.encode(script.setup));
    let shown = mirror.snapshot();
    const renderer = new Renderer();
    renderer.render(undefined, shown);
    let state = new ScreenState(shown, 1);
    let stateNum = 1;
    const frames: FrameCost[] = [];
    for (const output of script.frames) {
      const bytes = utf8.encode(output);
      await feed(mirror, bytes);
      const next = new ScreenState(mirror.snapshot(), state.echoAck + script.echoAckStep);
      const diff = next.diffFrom(state);
      if (!state.applyDiff(diff).equals(next)) throw new Error(`screen-costs: the diff for "${script.name}" does not reproduce the screen (a codec bug: see packages/terminal)`);
      const instruction: Instruction = { oldNum: stateNum, newNum: stateNum + 1, ackNum: stateNum + 40, throwawayNum: stateNum, diff, chaff };
      const datagrams = connection.send(instruction, stateNum * FRAME_INTERVAL_MS);
      const rendered = utf8.encode(renderer.render(shown, next.framebuffer));
      frames.push({
        ptyBytes: bytes.length,
        diffBytes: diff.length,
        instructionBytes: encodeInstruction(instruction).length,
        datagrams: datagrams.length,
        wireBytes: datagrams.reduce((sum, d) => sum + d.bytes.length, 0),
        rendererBytes: rendered.length,
        moshStyleBytes: moshStyleEstimate(rendered),
      });
      state = next;
      shown = next.framebuffer;
      stateNum++;
    }
    return { update: script.name, cols, rows, frames };
  } finally {
    mirror.dispose();
  }
}

/** CPU ms of one pass, split by phase (approximate: GC work lands in whichever phase triggers it). */
interface PassCost {
  totalMs: number;
  parseMs: number;
  snapshotMs: number;
  serverFrameMs: number;
  clientFrameMs: number;
  snapshots: number;
  frames: number;
  wallMs: number;
}

/** How often a pass snapshots and sends a frame, in chunks; `frameEvery: undefined` sends none. */
interface Pacing {
  snapshotEvery: number;
  frameEvery: number | undefined;
}

/**
 * One pass of the mixed output through the mirror in CHUNK_BYTES chunks, snapshotting every `snapshotEvery` chunks.
 * Every `frameEvery` chunks (and after the last) the newest screen is also sent as a frame: diffed against the last
 * frame and encoded as an instruction (server), then decoded, applied and rendered (client). The client's final
 * screen must equal the server's, or the harness is measuring a broken pipeline.
 */
async function mirrorPass(data: Uint8Array, cols: number, rows: number, pacing: Pacing): Promise<PassCost> {
  const mirror = new HeadlessMirror({ cols, rows, onReply: () => {} });
  const renderer = new Renderer();
  let serverState = ScreenState.initial(cols, rows);
  let clientState = serverState;
  let drawn: Framebuffer | undefined;
  let newest: Framebuffer = serverState.framebuffer;
  const cost: PassCost = { totalMs: 0, parseMs: 0, snapshotMs: 0, serverFrameMs: 0, clientFrameMs: 0, snapshots: 0, frames: 0, wallMs: 0 };
  const chunks = Math.ceil(data.length / CHUNK_BYTES);
  const wallStart = performance.now();
  const start = cpuMs();
  try {
    for (let chunk = 1; chunk <= chunks; chunk++) {
      const t0 = cpuMs();
      await feed(mirror, data.subarray((chunk - 1) * CHUNK_BYTES, chunk * CHUNK_BYTES));
      const t1 = cpuMs();
      cost.parseMs += t1 - t0;
      const frameDue = pacing.frameEvery !== undefined && (chunk % pacing.frameEvery === 0 || chunk === chunks);
      if (!frameDue && chunk % pacing.snapshotEvery !== 0) continue;
      newest = mirror.snapshot();
      const t2 = cpuMs();
      cost.snapshotMs += t2 - t1;
      cost.snapshots++;
      if (!frameDue) continue;
      const next = serverState.withFramebuffer(newest);
      const wire = encodeInstruction({ oldNum: cost.frames, newNum: cost.frames + 1, ackNum: 1, throwawayNum: cost.frames, diff: next.diffFrom(serverState), chaff: EMPTY });
      serverState = next;
      const t3 = cpuMs();
      clientState = clientState.applyDiff(decodeInstruction(wire).diff);
      renderer.render(drawn, clientState.framebuffer);
      drawn = clientState.framebuffer;
      const t4 = cpuMs();
      cost.serverFrameMs += t3 - t2;
      cost.clientFrameMs += t4 - t3;
      cost.frames++;
    }
    cost.totalMs = cpuMs() - start;
    cost.wallMs = performance.now() - wallStart;
    if (pacing.frameEvery !== undefined && !framebuffersEqual(clientState.framebuffer, serverState.framebuffer)) {
      throw new Error('screen-costs: after the mixed output the client screen differs from the server snapshot (a diff codec bug)');
    }
    return cost;
  } finally {
    mirror.dispose();
  }
}

const mb = (bytes: number): number => bytes / 1e6;
const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const bytesCell = (values: number[]): string => {
  const mid = median(values);
  const max = Math.max(...values);
  return values.length > 1 && max > mid * 1.5 ? `${Math.round(mid)} (max ${max})` : String(Math.round(mid));
};

function medianCost(passes: PassCost[]): PassCost {
  const pick = (key: keyof PassCost): number => median(passes.map((pass) => pass[key]));
  return { totalMs: pick('totalMs'), parseMs: pick('parseMs'), snapshotMs: pick('snapshotMs'), serverFrameMs: pick('serverFrameMs'), clientFrameMs: pick('clientFrameMs'), snapshots: pick('snapshots'), frames: pick('frames'), wallMs: pick('wallMs') };
}

export const screenCosts: Scenario = {
  name: 'screen-costs',
  title: 'Screen state costs: diff and renderer bytes per update, CPU to mirror and sync 10 MB',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const notes: string[] = [];
    const stale = staleSources();
    if (stale.length > 0) {
      const warning = `Measured packages/*/dist older than their source (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''}): run \`npm run build\` before \`npm run bench\`, or these figures describe the last build, not the source.`;
      context.log(`screen-costs: ${warning}`);
      notes.push(warning);
    }

    // Part 1: bytes per typical update.
    const updates: UpdateResult[] = [];
    for (const size of SIZES) {
      for (const [index, script] of typicalUpdates(size.cols, size.rows).entries()) {
        context.log(`update ${size.cols}x${size.rows}: ${script.name}`);
        updates.push(await measureUpdate(script, size.cols, size.rows, 100 + index));
      }
    }
    const updateTable: Table = {
      caption: 'Bytes per frame for typical updates (median over the frames; the max is shown when above 1.5 × the median)',
      columns: ['update', 'screen', 'frames', 'program output B', 'screen diff B', 'instruction B (deflated, 8 B chaff)', 'on the wire: datagrams / B', 'renderer B', 'mosh-style estimate B', 'wire ÷ estimate'],
      rows: updates.map((u) => [
        u.update,
        `${u.cols}×${u.rows}`,
        String(u.frames.length),
        bytesCell(u.frames.map((f) => f.ptyBytes)),
        bytesCell(u.frames.map((f) => f.diffBytes)),
        bytesCell(u.frames.map((f) => f.instructionBytes)),
        `${median(u.frames.map((f) => f.datagrams))} / ${bytesCell(u.frames.map((f) => f.wireBytes))}`,
        bytesCell(u.frames.map((f) => f.rendererBytes)),
        bytesCell(u.frames.map((f) => f.moshStyleBytes)),
        formatRatio(median(u.frames.map((f) => f.wireBytes)), median(u.frames.map((f) => f.moshStyleBytes))),
      ]),
    };
    const ratios = updates.map((u) => ({ u, ratio: median(u.frames.map((f) => f.wireBytes)) / median(u.frames.map((f) => f.moshStyleBytes)) }));
    const worse = ratios.filter((r) => r.ratio > 1.05).sort((a, b) => b.ratio - a.ratio);
    if (worse.length > 0) {
      const worst = worse[0]!;
      notes.push(
        `tsmosh's datagrams are larger than the mosh-style estimate for ${worse.length} of ${ratios.length} update kinds, by up to ${formatRatio(worst.ratio, 1)} (${worst.u.update}, ${worst.u.cols}×${worst.u.rows}): ` +
          'the structured screen diff deflates less well than terminal bytes do, and tsmosh\'s datagram overhead is 47 B against mosh\'s 38 B (its header carries the session ID and version).',
      );
    }
    const typing = updates.find((u) => u.update.startsWith('typing'));
    if (typing !== undefined) {
      notes.push(`An echoed keystroke costs ${median(typing.frames.map((f) => f.wireBytes))} B on the wire (diff ${median(typing.frames.map((f) => f.diffBytes))} B: the cell, the cursor and the echo acknowledgement); mosh's were observed at 67–84 B (measured on mosh).`);
    }

    // Part 2: CPU to mirror and to sync 10 MB of mixed output.
    const repetitions = REPETITIONS[context.mode];
    const cpuRows: string[][] = [];
    const cadenceRows: string[][] = [];
    const cpu: unknown[] = [];
    const megabytes = mb(MIXED_OUTPUT_BYTES);
    for (const size of SIZES) {
      const label = `${size.cols}×${size.rows}`;
      const stream = mixedOutput(MIXED_OUTPUT_BYTES, size.cols, size.rows, MIXED_OUTPUT_SEED);
      const runs = async (what: string, pacing: Pacing): Promise<PassCost> => {
        const passes: PassCost[] = [];
        for (let rep = 0; rep < repetitions; rep++) {
          context.log(`10 MB mixed output at ${label}, ${what}: ${rep + 1}/${repetitions}`);
          passes.push(await mirrorPass(stream.bytes, size.cols, size.rows, pacing));
        }
        cpu.push({ size: label, what, pacing, passes });
        return medianCost(passes);
      };
      // One unmeasured pass first: V8 keeps optimising xterm's parser and the codecs over the first megabytes, and
      // without it the first pass kind measured (the mirror's) ran up to 30 % slower than the later ones.
      context.log(`10 MB mixed output at ${label}, warm-up pass`);
      await mirrorPass(stream.bytes, size.cols, size.rows, { snapshotEvery: 1, frameEvery: 1 });
      const mirrorOnly = await runs('mirror: parse + snapshot per chunk', { snapshotEvery: 1, frameEvery: undefined });
      const perChunk = await runs('mirror + a frame per chunk', { snapshotEvery: 1, frameEvery: 1 });
      // A session's clock paces a flood: a snapshot at most every 8 ms and a frame at most every 20 ms, while the pty
      // delivers output as fast as the mirror parses it (PtyHost's flow control). So a frame covers 20 ms of parsing,
      // about 1 MB at the rates measured here, not the 2 MB that 100 MB/s of raw pty output would suggest.
      const parseRate = megabytes / (mirrorOnly.parseMs / 1000);
      const chunksPer = (ms: number): number => Math.max(1, Math.round((parseRate * 1e6 * (ms / 1000)) / CHUNK_BYTES));
      const paced = await runs('session-paced', { snapshotEvery: chunksPer(SNAPSHOT_INTERVAL_MS), frameEvery: chunksPer(FRAME_INTERVAL_MS) });
      const row = (what: string, c: PassCost): string[] => [label, what, fixed(c.totalMs, 0), fixed(c.parseMs, 0), `${fixed(c.snapshotMs, 0)} (${c.snapshots})`, c.frames > 0 ? `${fixed(c.serverFrameMs, 0)} (${c.frames})` : '–', c.frames > 0 ? fixed(c.clientFrameMs, 0) : '–', fixed(megabytes / (c.totalMs / 1000))];
      cpuRows.push(row('mirror: parse + snapshot per 64 KiB chunk', mirrorOnly));
      cpuRows.push(row('+ a frame per chunk: diff, encode | decode, apply, render', perChunk));
      cpuRows.push(row(`session-paced: snapshot per ${chunksPer(SNAPSHOT_INTERVAL_MS)}, frame per ${chunksPer(FRAME_INTERVAL_MS)} chunks`, paced));
      const snapshotMsEach = mirrorOnly.snapshotMs / mirrorOnly.snapshots;
      const serverFrameMsEach = perChunk.serverFrameMs / perChunk.frames;
      const clientFrameMsEach = perChunk.clientFrameMs / perChunk.frames;
      const serverBusyShare = ((FRAME_INTERVAL_MS / SNAPSHOT_INTERVAL_MS) * snapshotMsEach + serverFrameMsEach) / FRAME_INTERVAL_MS;
      const serverRate = parseRate * Math.max(0, 1 - serverBusyShare);
      const clientShare = clientFrameMsEach / FRAME_INTERVAL_MS;
      cadenceRows.push([label, fixed(parseRate), fixed(snapshotMsEach, 2), fixed(serverFrameMsEach, 2), fixed(clientFrameMsEach, 2), `${fixed(serverBusyShare * 100)} %`, fixed(serverRate), `${fixed(clientShare * 100)} %`]);
      cpu.push({ size: label, derived: { parseRateMBps: parseRate, snapshotMsEach, serverFrameMsEach, clientFrameMsEach, serverBusyShare, serverRateMBps: serverRate, clientShare }, shares: stream.shares });
      if (clientShare > 0.25) notes.push(`At ${label}, a client drawing a flood at one frame per 20 ms spends ${fixed(clientShare * 100, 0)} % of a core on decoding, applying and rendering.`);
    }
    const cpuTable: Table = {
      caption: `CPU time (user + system, median of ${repetitions} passes) to take 10 MB of mixed output in 64 KiB chunks; counts in brackets`,
      columns: ['screen', 'pass', 'CPU ms', 'parse ms', 'snapshot ms', 'server frames ms', 'client frames ms', 'MB/s'],
      rows: cpuRows,
    };
    const cadenceTable: Table = {
      caption: 'Per-snapshot and per-frame CPU, and what they cost at a flood\'s cadence (a snapshot per 8 ms, a frame per 20 ms)',
      columns: ['screen', 'parse MB/s', 'snapshot ms', 'server frame ms (diff + encode)', 'client frame ms (decode + apply + render)', 'server time on snapshots + frame', 'server MB/s at that cadence', 'client CPU share'],
      rows: cadenceRows,
    };
    return {
      tables: [updateTable, cpuTable, cadenceTable],
      notes,
      data: {
        plan: { sizes: SIZES, mixedOutputBytes: MIXED_OUTPUT_BYTES, chunkBytes: CHUNK_BYTES, repetitions, chaffBytes: CHAFF_BYTES, snapshotIntervalMs: SNAPSHOT_INTERVAL_MS, frameIntervalMs: FRAME_INTERVAL_MS, mixedOutputSeed: MIXED_OUTPUT_SEED },
        updates,
        cpu,
      },
    };
  },
};
