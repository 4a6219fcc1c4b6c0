/**
 * Port forwarding on a lossy link: a real daemon, the real client (connect(), in this process) through the lossy UDP
 * proxy at 100 ms RTT, and a -L forward to a TCP sink that answers with the SHA-256 of what it got. Per loss rate:
 * how fast a bulk stream crosses, and how long a typed key takes to come back echoed by `cat` in the same session,
 * idle and while the bulk stream runs. mosh has no forwarding to compare with; the comparison that matters is the
 * session against itself, idle and busy (the bound: within 1.2×).
 */
import { randomBytes } from 'node:crypto';
import { startUdpProxy } from '@tsmosh/netem/udp';
import type { BenchContext, Scenario, ScenarioResult, Table } from '../scenario.js';
import { startBenchDaemon, sleep, waitForScreen, WAIT_BOUND_MS, type ClientHandle } from '../daemon-process.js';
import { formatMs, formatRatio, median, percentile } from '../stats.js';
import { eventually, freePort, sha256Line, startHashSink, streamThrough } from '../tcp-tools.js';

/** Loss per direction: clean, the 10 %, and the mosh paper's 29 %. */
const LOSSES = [0, 0.1, 0.29];
/** ms each way: 100 ms RTT, the link. */
const ONE_WAY_DELAY_MS = 50;
/** The quick pass keeps the link only, so `npm run bench` stays within its 5 minutes. */
const PLAN = {
  quick: { megabytes: 4, keys: 30, seeds: [1], losses: [0.1] },
  full: { megabytes: 10, keys: 80, seeds: [1, 2, 3], losses: LOSSES },
} as const;
/** ms between typed keys: a brisk typist, and far enough apart that each key's echo is its own round trip. */
const KEY_GAP_MS = 200;

interface ForwardClientModule {
  connect(init: {
    host: string;
    port: number;
    key: string;
    cols: number;
    rows: number;
    forwarding: { local: Array<{ direction: 'local'; bindHost: string; bindPort: number; host: string; hostPort: number }> };
  }): ClientHandle;
}

interface Cell {
  readonly loss: number;
  readonly seed: number;
  readonly megabytes: number;
  readonly transferMs: number;
  readonly intact: boolean;
  readonly idleKeyMs: number[];
  readonly busyKeyMs: number[];
}

export const forwarding: Scenario = {
  name: 'forwarding',
  title: 'Port forwarding on a lossy link: throughput, and keystrokes during a bulk forward',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const plan = PLAN[context.mode];
    const cells: Cell[] = [];
    for (const loss of plan.losses) {
      for (const seed of plan.seeds) {
        context.log(`forwarding: ${Math.round(loss * 100)} % loss each way, seed ${seed}`);
        cells.push(await runCell(loss, seed, plan.megabytes, plan.keys));
      }
    }
    const rows = plan.losses.map((loss) => {
      const mine = cells.filter((cell) => cell.loss === loss);
      const rates = mine.map((cell) => cell.megabytes / (cell.transferMs / 1000));
      const idle = mine.flatMap((cell) => cell.idleKeyMs);
      const busy = mine.flatMap((cell) => cell.busyKeyMs);
      return [
        `${Math.round(loss * 100)} %`,
        mine.every((cell) => cell.intact) ? 'yes' : 'NO',
        `${median(rates).toFixed(2)} MB/s`,
        formatMs(median(idle)),
        formatMs(median(busy)),
        formatRatio(median(busy), median(idle)),
        formatMs(percentile(idle, 95)),
        formatMs(percentile(busy, 95)),
        formatRatio(percentile(busy, 95), percentile(idle, 95)),
      ];
    });
    const table: Table = {
      caption: `-L forward of ${plan.megabytes} MB through the lossy proxy at 100 ms RTT (loss each way), and key → echo on the same session (\`cat\`), idle and during a bulk forward; ${plan.seeds.length} seed(s), ${plan.keys} keys each phase`,
      columns: ['loss', 'intact', 'throughput', 'key median idle', 'key median busy', 'ratio', 'key p95 idle', 'key p95 busy', 'p95 ratio'],
      rows,
    };
    return {
      tables: [table],
      notes: [
        'Client, daemon and the TCP ends run on this machine; the client process also runs the stream source and the sink, so its event loop carries the whole transfer beside the keystrokes, as a user’s client would.',
        'Keys are the server’s real echo (the library client does not predict), so the figures are round trips: the 1.2× bound is on the busy/idle ratio.',
      ],
      data: { plan, keyGapMs: KEY_GAP_MS, oneWayDelayMs: ONE_WAY_DELAY_MS, cells },
    };
  },
};

async function runCell(loss: number, seed: number, megabytes: number, keys: number): Promise<Cell> {
  const { connect } = (await import('@tsmosh/' + 'client')) as ForwardClientModule;
  const daemon = await startBenchDaemon();
  const sink = await startHashSink();
  const target = daemon.newSession(`fwd-${seed}`, ['cat']);
  const proxy = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: target.port }, profile: `delay=${ONE_WAY_DELAY_MS}ms,loss=${Math.round(loss * 100)}%`, seed });
  try {
    const localPort = await freePort();
    const client = connect({
      host: proxy.address.host,
      port: proxy.address.port,
      key: target.key,
      cols: 200,
      rows: 24,
      forwarding: { local: [{ direction: 'local', bindHost: '127.0.0.1', bindPort: localPort, host: '127.0.0.1', hostPort: sink.port }] },
    });
    try {
      await waitForScreen(client, () => true, 'the first screen');
      await sleep(500);
      const payload = randomBytes(megabytes * 1_000_000);
      const started = performance.now();
      const answer = await eventually(() => streamThrough(localPort, payload), WAIT_BOUND_MS);
      const transferMs = performance.now() - started;
      const intact = answer === sha256Line(payload);

      let typed = '';
      const typeKeys = async (): Promise<number[]> => {
        const samples: number[] = [];
        for (let i = 0; i < keys; i++) {
          const key = String.fromCharCode(97 + (typed.length % 26));
          typed += key;
          // A fresh line now and then keeps the typed text within the screen's width.
          if (typed.length % 150 === 0) {
            client.write('\r');
            typed = '';
            await sleep(KEY_GAP_MS);
            continue;
          }
          const expected = typed;
          const sent = performance.now();
          client.write(key);
          await waitForScreen(client, (text) => text.split('\n').some((line) => line.trimEnd().endsWith(expected)), `the echo of key ${i}`);
          samples.push(performance.now() - sent);
          await sleep(KEY_GAP_MS);
        }
        return samples;
      };
      const idleKeyMs = await typeKeys();
      // The bulk stream runs for the whole typing phase: repeated transfers until the keys are done.
      let typing = true;
      const bulk = (async () => {
        while (typing) await eventually(() => streamThrough(localPort, payload), WAIT_BOUND_MS);
      })();
      await sleep(300);
      const busyKeyMs = await typeKeys();
      typing = false;
      await bulk;
      return { loss, seed, megabytes, transferMs, intact, idleKeyMs, busyKeyMs };
    } finally {
      await client.close().catch(() => undefined);
    }
  } finally {
    await proxy.close();
    sink.server.close();
    await daemon.stop();
  }
}
