#!/usr/bin/env node
// Embedding tsmosh: host a session in this process with @tsmosh/server's createSession(), connect to it over
// loopback UDP with @tsmosh/client's connect(), type a command, read the screen, and close. Run it with
// `node examples/embed-session.mjs` after `npx tsc -b`.
import { createSession } from '@tsmosh/server';
import { connect } from '@tsmosh/client';

const server = await createSession({
  command: ['sh', '-c', 'read name; echo "hello, $name"; exec cat'],
  ports: { low: 0, high: 0 }, // any free UDP port
  bindAddress: '127.0.0.1',
  env: { ...process.env, LANG: 'C.UTF-8', TERM: 'xterm-256color' },
});

const session = connect({ host: '127.0.0.1', port: server.port, key: server.key, cols: 80, rows: 24 });

/** The screen as text, one string per row. */
const rows = (framebuffer) => framebuffer.lines.map((row) => row.cells.map((cell) => cell.text || ' ').join('').trimEnd());

const greeted = new Promise((resolve) => {
  session.on('screen', (framebuffer) => {
    const line = rows(framebuffer).find((text) => text.startsWith('hello, '));
    if (line !== undefined) resolve(line);
  });
});
session.on('status', (status) => {
  if (!status.connected && status.everHeard) console.error(`(server silent for ${Math.round(status.lastContactAgoMs / 1000)} s)`);
});

session.write('tsmosh\r'); // keystrokes, exactly as a terminal would send them
console.log(await greeted);

const exit = await session.close(); // the shutdown handshake: the server knows this client has gone
console.log(`client: ${exit.reason}`);
console.log(`server: ${await server.kill()}`); // ends the remote command and closes the session's UDP port
