/**
 * A client process started again with its session's key, as a user re-runs `tsmosh-client` after a crash (or
 * starts a second one with the same TSMOSH_KEY): it takes the session over, with fresh nonces in its direction and
 * its input from the start, and a client it replaced is told so and exits. mosh never accepts such a client (its
 * sequence numbers restart at 0 and its state numbers at the beginning).
 */
import { describe, expect, it } from 'vitest';
import { catWhenReady, clientTestSuite, READY, startClient, type PtyProgram } from './client-harness.js';

describe('the same key in a new client process', () => {
  const suite = clientTestSuite();

  /** A session running `cat` with a first client attached, once the program is ready. */
  const sessionWithClient = async (): Promise<{ target: { port: number; key: string }; first: PtyProgram }> => {
    const workspace = suite.workspace();
    const target = await workspace.newSession(catWhenReady());
    const first = suite.track(startClient(workspace, target));
    await first.waitForText(READY);
    return { target, first };
  };

  it('takes the session over after the first client was killed, with the screen and typing intact', async () => {
    const { target, first } = await sessionWithClient();
    first.type('before the crash\r');
    await first.waitForText(/before the crash\s*\n.*before the crash/s);
    first.kill();

    const second = suite.track(startClient(suite.workspace(), target));
    await second.waitForText('before the crash');
    second.type('after the restart\r');
    const lines = await second.waitFor('the new typing echoed once', (screen) => screen.filter((line) => line.startsWith('after the restart')).length === 2);
    // Everything typed reached the program exactly once: nothing lost, nothing replayed.
    expect(lines.filter((line) => line.startsWith('before the crash'))).toHaveLength(2);
    second.type('\x1e.');
    await second.waitForExit();
  });

  it('takes the session over from a live client, which is told and exits', async () => {
    const { target, first } = await sessionWithClient();
    first.type('one\r');
    await first.waitFor('one echoed', (screen) => screen.filter((line) => line === 'one').length === 2);

    const second = suite.track(startClient(suite.workspace(), target));
    await second.waitFor('the screen', (screen) => screen.filter((line) => line === 'one').length === 2);
    expect((await first.waitForExit()).exitCode).toBe(0);
    expect((await first.logicalLines()).join('\n')).toMatch(/tsmosh: this session was taken over by another client \(at 127\.0\.0\.1:\d+\); it goes on there\./);
    second.type('two\r');
    await second.waitFor('two echoed', (screen) => screen.filter((line) => line === 'two').length === 2);
    second.type('\x1e.');
    await second.waitForExit();
  });
});
