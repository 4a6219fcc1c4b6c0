import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { CLIENT_BIN, PtyProgram, clientTestSuite, runBin, startClient, tamperedKey } from './client-harness.js';

/**
 * What a user gets for the mistakes they can make: one clear line, a non-zero exit, the terminal restored, and no
 * other session disturbed.
 */

const suite = clientTestSuite();

function client(target: { port: number; key: string }, env: Record<string, string> = {}): PtyProgram {
  return suite.track(startClient(suite.workspace(), target, { env }));
}

/** A loopback UDP port with nothing listening on it (bound, read, released). */
async function closedUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop() ?? '';
}

describe('tsmosh-client refuses bad input with one clear line', () => {
  it('a wrong key for a live session: no reply (it says which UDP port), and the real session is undisturbed', async () => {
    const real = await suite.workspace().newSession();
    const good = client(real);
    await good.waitForText('$');

    for (const keepSessionId of [true, false]) {
      const wrong = client({ port: real.port, key: tamperedKey(real.key, keepSessionId) });
      const { exitCode } = await wrong.waitForExit();
      expect(exitCode).not.toBe(0);
      const line = lastLine((await wrong.logicalLines()).join('\n'));
      expect(line).toMatch(new RegExp(`^tsmosh: no reply from the server .* UDP port ${real.port}`));
      expect(wrong.raw).toMatch(/tsmosh: Nothing received from server yet \(\d+ seconds?\)\. \[To quit: Ctrl-\^ \.\]/);
      expect(wrong.terminalModes()).toMatchObject({ cursorHidden: false, alternateScreen: false });
    }

    good.type('echo undisturbed-$((2*21))\r');
    await good.waitForText('undisturbed-42');
    good.type('exit\r');
    expect((await good.waitForExit()).exitCode).toBe(0);
  });

  it('an unreachable port: no reply, naming the port to open', async () => {
    const port = await closedUdpPort();
    const wrong = client({ port, key: tamperedKey('', false) });
    expect((await wrong.waitForExit()).exitCode).not.toBe(0);
    // With the TCP fallback (auto), the line names both ports a firewall may have to open.
    expect(lastLine((await wrong.logicalLines()).join('\n'))).toMatch(new RegExp(`UDP port ${port} nor TCP port ${port}; .*open on the server's firewall`));
  });

  it('a malformed key, a missing key, a bad port, a bad escape key, a non-UTF-8 locale, an unknown host', async () => {
    const env = suite.workspace().env;
    // tsmosh-client's own failures exit 255, as ssh's (exit-status.ts).
    const cases: Array<{ args: string[]; env: Record<string, string>; expect: RegExp; code: number }> = [
      { args: ['127.0.0.1', '60001'], env: { ...env, TSMOSH_KEY: 'not-a-key' }, expect: /^tsmosh-client: TSMOSH_KEY is 9 characters; expected 32/, code: 255 },
      { args: ['127.0.0.1', '60001'], env, expect: /^tsmosh-client: TSMOSH_KEY is not set/, code: 255 },
      { args: ['127.0.0.1', 'sixty'], env: { ...env, TSMOSH_KEY: 'x' }, expect: /^tsmosh-client: bad port "sixty"/, code: 255 },
      { args: ['127.0.0.1', '70000'], env: { ...env, TSMOSH_KEY: 'x' }, expect: /^tsmosh-client: bad port "70000"/, code: 255 },
      { args: ['127.0.0.1'], env, expect: /^tsmosh-client: expected a host and a port/, code: 255 },
      { args: ['--frobnicate', 'h', '1'], env, expect: /^tsmosh-client: unknown option --frobnicate/, code: 255 },
      { args: ['127.0.0.1', '60001'], env: { ...env, LANG: 'C', TSMOSH_KEY: tamperedKey('', false) }, expect: /^tsmosh-client: needs a UTF-8 locale, but LANG=C/, code: 255 },
      {
        args: ['127.0.0.1', '60001'],
        env: { ...env, TSMOSH_ESCAPE_KEY: 'ab', TSMOSH_KEY: tamperedKey('', false) },
        expect: /^tsmosh: TSMOSH_ESCAPE_KEY must be one ASCII character/,
        code: 255,
      },
      {
        args: ['127.0.0.1', '60001'],
        env: { ...env, TSMOSH_PREDICTION_DISPLAY: 'sometimes', TSMOSH_KEY: tamperedKey('', false) },
        expect: /^tsmosh: TSMOSH_PREDICTION_DISPLAY: unknown prediction mode 'sometimes'; use one of: adaptive, always, never, experimental/,
        code: 255,
      },
      {
        args: ['no-such-host.invalid', '60001'],
        env: { ...env, TSMOSH_KEY: tamperedKey('', false) },
        expect: /^tsmosh-client: cannot resolve host "no-such-host\.invalid"/,
        code: 255,
      },
    ];
    for (const c of cases) {
      const result = await runBin([CLIENT_BIN, ...c.args], c.env);
      const output = (result.stderr + result.stdout).trim();
      expect({ args: c.args, output }).toEqual({ args: c.args, output: expect.stringMatching(c.expect) });
      expect(output.split('\n').filter((l) => l.startsWith('tsmosh')).length).toBe(1);
      expect(result.code).toBe(c.code);
    }
  });
});
