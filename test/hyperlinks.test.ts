/**
 * OSC 8 hyperlinks end to end: a program in a real pty on the real daemon prints links, and the real tsmosh-client,
 * in a real pty, draws them on a terminal (@xterm/headless standing in for the user's) as links that keep their URL
 * and id, underlined only where the program underlined them; the same for `ls --hyperlink` scrolling a screen of
 * file links, and for the real Claude Code's start-up banner over a lossy link. Before, links arrived as underlined text without their URL.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Attr, screenLines, type Framebuffer } from '@tsmosh/terminal';
import { startUdpProxy, type UdpProxy } from '@tsmosh/netem/udp';
import { readFramebuffer } from '../packages/terminal/src/xterm-readback.test-helpers.js';
import { READY, SERVER_BIN, WAIT_MS, clientTestSuite, startClient, type PtyProgram } from './client-harness.js';
import { findText } from './fidelity-support.js';
import { claudeCodeEnvironment, ensureClaudeCode, removeClaudeCodeDirectories, startMessagesStandIn, type MessagesStandIn } from './helpers/claude-code.js';

const suite = clientTestSuite();

/** What the client's terminal shows now, cells with their links (the test terminal's own xterm read back). */
async function shown(client: PtyProgram): Promise<Framebuffer> {
  await client.screen(); // waits for every byte written so far to be parsed
  return readFramebuffer(client.terminal, '', 0);
}


/** Every OSC 8 the client wrote, as [params, uri]; a close is ['', '']. */
function osc8s(raw: string): [string, string][] {
  return [...raw.matchAll(/\x1b\]8;([^;\x07\x1b]*);([^\x07\x1b]*)(?:\x1b\\|\x07)/g)].map((m) => [m[1]!, m[2]!]);
}

const OPEN = (uri: string, params = ''): string => `\\033]8;${params};${uri}\\033\\\\`;
const CLOSE = '\\033]8;;\\033\\\\';

describe('OSC 8 hyperlinks through tsmosh', () => {
  it('a program in a real pty: links keep their URL and id, only the program underlines, a changed link is redrawn', async () => {
    const first =
      `see ${OPEN('https://example.com/docs?q=1;x=2', 'id=doc')}the docs${CLOSE} or ` +
      `\\033[4m${OPEN('file:///tmp/notes.txt')}notes${CLOSE}\\033[24m, then plain.\\n` +
      `${OPEN('https://example.com/docs?q=1;x=2', 'id=doc')}(again)${CLOSE}\\n`;
    const second = `\\033[1;5H${OPEN('https://example.org/moved')}the docs${CLOSE}\\033[4;1H`;
    const script = `printf '${first}'; echo ${READY}; read line; printf '${second}'; echo DONE; exec cat`;
    const workspace = suite.workspace();
    const client = suite.track(startClient(workspace, await workspace.newSession(['sh', '-c', script]), { cols: 60, rows: 8 }));
    await client.waitForText(READY);

    let fb = await shown(client);
    const [docsX, docsY] = findText(fb, 'the docs');
    for (let i = 0; i < 'the docs'.length; i++) {
      const cell = fb.lines[docsY]!.cells[docsX + i]!;
      expect(cell.link).toEqual({ uri: 'https://example.com/docs?q=1;x=2', id: 'doc' });
      expect(cell.attrs & Attr.Underline).toBe(0);
    }
    const [notesX, notesY] = findText(fb, 'notes');
    expect(fb.lines[notesY]!.cells[notesX]!.link).toEqual({ uri: 'file:///tmp/notes.txt', id: '' });
    expect(fb.lines[notesY]!.cells[notesX]!.attrs & Attr.Underline).toBe(Attr.Underline);
    const [plainX, plainY] = findText(fb, 'then plain');
    expect(fb.lines[plainY]!.cells[plainX]!.link).toBeUndefined();
    expect(fb.lines[plainY]!.cells[plainX]!.attrs).toBe(0);
    const [againX, againY] = findText(fb, '(again)');
    expect(fb.lines[againY]!.cells[againX]!.link).toEqual({ uri: 'https://example.com/docs?q=1;x=2', id: 'doc' });

    client.type('\r');
    await client.waitForText('DONE');
    fb = await shown(client);
    expect(fb.lines[docsY]!.cells[docsX]!.link).toEqual({ uri: 'https://example.org/moved', id: '' });
    expect(fb.lines[againY]!.cells[againX]!.link).toEqual({ uri: 'https://example.com/docs?q=1;x=2', id: 'doc' });

    // The client never leaves a link open between frames, nor after it quits.
    expect(osc8s(client.raw).at(-1)).toEqual(['', '']);
    client.type('\x1e.');
    await client.waitForExit();
    expect(osc8s(client.raw).at(-1)).toEqual(['', '']);
  });

  it('ls --hyperlink: every name on a scrolling screen links to its file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsmosh-links-'));
    try {
      // Names ls does not quote (it puts the quotes of a quoted name inside the link).
      const names = Array.from({ length: 40 }, (_, i) => `file-${String(i).padStart(2, '0')}.txt`);
      for (const name of names) writeFileSync(join(dir, name), '');
      const workspace = suite.workspace();
      // One name per line, more lines than rows: the screen scrolls (the lines that leave it reach the local history
      // with their links, scrollback-writer.ts), and each new line brings its link.
      const script = `ls --hyperlink=always -1 '${dir}'; echo ${READY}; exec cat`;
      const client = suite.track(startClient(workspace, await workspace.newSession(['sh', '-c', script]), { cols: 50, rows: 10 }));
      await client.waitForText(READY);
      const fb = await shown(client);
      const host = hostname();
      let checked = 0;
      for (const name of names.slice(-8)) {
        const [x, y] = findText(fb, name);
        const link = fb.lines[y]!.cells[x]!.link;
        expect(link?.uri).toBe(`file://${host}${dir}/${name}`);
        expect(fb.lines[y]!.cells[x + name.length - 1]!.link).toEqual(link);
        expect(fb.lines[y]!.cells[x + name.length]!.link).toBeUndefined();
        checked++;
      }
      expect(checked).toBe(8);
      expect(osc8s(client.raw).at(-1)).toEqual(['', '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('the real Claude Code', () => {
    let api: MessagesStandIn | undefined;
    let proxy: UdpProxy | undefined;
    const dirs: string[] = [];
    afterAll(async () => {
      await proxy?.close();
      await api?.close();
      await removeClaudeCodeDirectories(dirs);
    });

    it("its start-up banner's link arrives with its URL and id, over a lossy link", async () => {
      const bin = ensureClaudeCode();
      api = await startMessagesStandIn({});
      const project = mkdtempSync(join(tmpdir(), 'tsmosh-cc-project-'));
      const { home, env } = claudeCodeEnvironment(api.baseUrl, project);
      dirs.push(project, home);
      const workspace = suite.workspace();
      await workspace.ensureDaemon();
      // Straight in the session, not in tmux: the tmux here (3.3a) drops OSC 8 (links need 3.4).
      const envWords = Object.entries(env).map(([k, v]) => `${k}=${v}`);
      const stdout = execFileSync(process.execPath, [SERVER_BIN, 'new', '--', 'env', ...envWords, 'sh', '-c', `cd '${project}' && exec '${bin}'`], {
        env: workspace.env,
        timeout: WAIT_MS,
        encoding: 'utf8',
      });
      const match = /^TSMOSH CONNECT (\d+) (\S+)\n$/.exec(stdout);
      if (match === null) throw new Error(`tsmosh-server new printed ${JSON.stringify(stdout)}`);
      proxy = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: Number(match[1]) }, profile: 'loss=10%,delay=50ms', seed: 8 });
      const client = suite.track(
        startClient(workspace, { host: proxy.address.host, port: proxy.address.port, key: match[2]! }, { cols: 100, rows: 30 }),
      );
      const url = 'https://code.claude.com/docs/en/permission-modes';
      await client.waitForText(url, 2 * WAIT_MS);

      const fb = await shown(client);
      const [x, y] = findText(fb, url);
      const link = fb.lines[y]!.cells[x]!.link;
      // Claude Code names the link with an id of its own making (id=…), and the visible text is the URL.
      expect(link?.uri).toBe(url);
      expect(link?.id).toMatch(/^[A-Za-z0-9_-]+$/);
      for (let i = 0; i < url.length; i++) {
        const cell = fb.lines[y]!.cells[x + i]!;
        expect(cell.link).toEqual(link);
        expect(cell.attrs & Attr.Underline).toBe(0);
      }
      const [titleX, titleY] = findText(fb, 'Claude Code');
      expect(fb.lines[titleY]!.cells[titleX]!.link).toBeUndefined();
      expect(osc8s(client.raw).at(-1)).toEqual(['', '']);
    }, 180_000);
  });
});
