import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CONTROL_PROTOCOL_VERSION,
  DaemonNotRunningError,
  listenControl,
  parseControlRequest,
  requestControl,
  type ControlRequest,
} from './control.js';
import { ServerError } from './errors.js';
import { controlTokenPath } from './control-token.js';

describe('parseControlRequest', () => {
  const V = CONTROL_PROTOCOL_VERSION;
  it('accepts each op and rejects malformed requests with a control-protocol error', () => {
    expect(parseControlRequest(JSON.stringify({ v: V, op: 'list' }))).toEqual({ v: V, op: 'list' });
    expect(parseControlRequest(JSON.stringify({ v: V, op: 'kill', sessionId: 'ab' }))).toMatchObject({ op: 'kill' });
    const request = { env: { A: 'b' }, command: ['sh'], ports: { low: 60001, high: 60010 } };
    expect(parseControlRequest(JSON.stringify({ v: V, op: 'new', request }))).toMatchObject({ op: 'new', request });
    const answered = { ...request, terminalAnswers: { kittyKeyboard: true, synchronizedOutput: false, version: 'kitty(0.39.1)' } };
    expect(parseControlRequest(JSON.stringify({ v: V, op: 'new', request: answered }))).toMatchObject({ op: 'new', request: answered });
    const placed = { ...request, directory: '/home/user/project' };
    expect(parseControlRequest(JSON.stringify({ v: V, op: 'new', request: placed }))).toMatchObject({ op: 'new', request: placed });
    for (const bad of [
      'not json',
      '[]',
      JSON.stringify({ v: V - 1, op: 'list' }),
      JSON.stringify({ v: V, op: 'explode' }),
      JSON.stringify({ v: V, op: 'kill' }),
      JSON.stringify({ v: V, op: 'new', request: { env: { A: 1 } } }),
      JSON.stringify({ v: V, op: 'new', request: { env: {}, command: [1] } }),
      JSON.stringify({ v: V, op: 'new', request: { env: {}, ports: { low: 9, high: 3 } } }),
      JSON.stringify({ v: V, op: 'new', request: { env: {}, cols: -1 } }),
      JSON.stringify({ v: V, op: 'new', request: { env: {}, directory: 'relative/folder' } }),
      JSON.stringify({ v: V, op: 'new', request: { env: {}, directory: 7 } }),
      JSON.stringify({ v: V, op: 'new', request: { env: {}, terminalAnswers: { kittyKeyboard: 1, synchronizedOutput: false, version: '' } } }),
      JSON.stringify({ v: V, op: 'new', request: { env: {}, terminalAnswers: { kittyKeyboard: true, synchronizedOutput: false, version: 'a\u001bb' } } }),
    ]) {
      expect(() => parseControlRequest(bad), bad).toThrow(ServerError);
    }
  });
});

describe('control socket', () => {
  let dir: string;
  let server: Server | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsmosh-ctl-'));
  });
  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers one request per connection and carries ServerErrors back intact', async () => {
    const path = join(dir, 'c.sock');
    const seen: ControlRequest[] = [];
    server = await listenControl(path, async (request) => {
      seen.push(request);
      if (request.op === 'kill') throw new ServerError('no-such-session', `no session ${request.sessionId}`);
      return { pid: 1, version: 'x', sessions: 0, endpoints: [] };
    });
    await expect(requestControl(path, { op: 'status' }, 5000)).resolves.toMatchObject({ pid: 1 });
    await expect(requestControl(path, { op: 'kill', sessionId: 'ff' }, 5000)).rejects.toMatchObject({
      code: 'no-such-session',
      message: 'no session ff',
    });
    expect(seen.map((request) => request.op)).toEqual(['status', 'kill']);
  });

  it('answers garbage with an error line instead of dropping the connection', async () => {
    const path = join(dir, 'c.sock');
    server = await listenControl(path, async () => 'unreachable');
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(path);
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => (data += chunk));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write('{"v": 1, "op": 3}\n');
    });
    const response = JSON.parse(answer);
    expect(response).toMatchObject({ v: CONTROL_PROTOCOL_VERSION, ok: false, error: { code: 'control-protocol' } });
  });

  it('answers only requests carrying the token it wrote beside the socket, and keeps socket and token 0600 whatever the umask', async () => {
    const path = join(dir, 'c.sock');
    const previousUmask = process.umask(0);
    try {
      server = await listenControl(path, async () => ({ pid: 1, version: 'x', sessions: 0, endpoints: [] }));
    } finally {
      process.umask(previousUmask);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(controlTokenPath(path)).mode & 0o777).toBe(0o600);
    await expect(requestControl(path, { op: 'status' }, 5000)).resolves.toMatchObject({ pid: 1 });
    const ask = (line: string): Promise<unknown> =>
      new Promise((resolve, reject) => {
        const socket = createConnection(path);
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk) => (data += chunk));
        socket.on('end', () => resolve(JSON.parse(data)));
        socket.on('error', reject);
        socket.write(line + '\n');
      });
    for (const token of [undefined, '', 'f'.repeat(64), 42]) {
      expect(await ask(JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, token, op: 'status' }))).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
  });

  it('reports a missing daemon as DaemonNotRunningError', async () => {
    await expect(requestControl(join(dir, 'absent.sock'), { op: 'status' }, 5000)).rejects.toBeInstanceOf(
      DaemonNotRunningError,
    );
  });
});
