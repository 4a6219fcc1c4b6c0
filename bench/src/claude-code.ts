/**
 * The real Claude Code for the tests (test/helpers/claude-code.ts re-exports this) and the lossy-link benchmark's
 * claude trace: a pinned @anthropic-ai/claude-code installed once per machine into a cache folder (never a
 * dependency of the workspace), a loopback stand-in of the Messages API that streams a long markdown answer as server-sent events (message_start, content_block_start, content_block_delta..., message_stop,
 * as the real API does), and a throwaway HOME whose config pre-accepts onboarding and the trust dialog.
 * Only the npm registry is needed, and only for the first install; .ci/run installs it before the suite.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { processesMatching } from './proc-scan.js';

/** The version the suite and the bench are measured with; bump deliberately (its frames are fixtures). */
export const CLAUDE_CODE_VERSION = '2.1.332';

/** Per-machine cache: survives between runs so the ~400 MB native binary is fetched once. */
export const CLAUDE_CODE_CACHE =
  process.env['TSMOSH_CLAUDE_CODE_CACHE'] ?? join(homedir(), '.cache', 'tsmosh', `claude-code-${CLAUDE_CODE_VERSION}`);

export const CLAUDE_CODE_BIN = join(CLAUDE_CODE_CACHE, 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe');

export function claudeCodeInstalled(): boolean {
  return existsSync(CLAUDE_CODE_BIN);
}

/** Installs the pinned version into the cache unless it is there; throws with npm's output when it fails. */
export function ensureClaudeCode(): string {
  if (claudeCodeInstalled()) return CLAUDE_CODE_BIN;
  mkdirSync(CLAUDE_CODE_CACHE, { recursive: true });
  execFileSync(
    'npm',
    ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', CLAUDE_CODE_CACHE, `@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}`],
    { stdio: 'pipe', timeout: 600_000 },
  );
  if (!claudeCodeInstalled()) {
    throw new Error(`claude-code fixture: npm installed @anthropic-ai/claude-code@${CLAUDE_CODE_VERSION} but ${CLAUDE_CODE_BIN} is missing (platform package not installed?)`);
  }
  return CLAUDE_CODE_BIN;
}

/** A long markdown answer: headings, lists, code, enough lines to scroll a 24-row screen several times. */
export function longMarkdownAnswer(paragraphs = 12): string {
  const parts: string[] = ['# Streaming over a lossy link\n'];
  for (let i = 1; i <= paragraphs; i++) {
    parts.push(`\n## Part ${i}\n\nThis is paragraph ${i} of a long answer, streamed word by word so that the screen changes while the user types.\n`);
    parts.push(`\n- point ${i}.a with **bold** text\n- point ${i}.b with \`inline code\`\n`);
    if (i % 3 === 0) parts.push(`\n\`\`\`ts\nconst part${i} = ${i} * 2; // a code block\n\`\`\`\n`);
  }
  return parts.join('');
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface MessagesStandIn {
  readonly baseUrl: string;
  readonly requests: unknown[];
  close(): Promise<void>;
}

/**
 * The Messages API stand-in on 127.0.0.1: every POST /v1/messages (streaming or not) answers `answer`, split into
 * chunks of `chunkChars` sent `chunkDelayMs` apart (the delay makes the answer stream while a test types).
 */
export async function startMessagesStandIn(options: { answer?: string; chunkChars?: number; chunkDelayMs?: number } = {}): Promise<MessagesStandIn> {
  const answer = options.answer ?? longMarkdownAnswer();
  const chunkChars = options.chunkChars ?? 24;
  const chunkDelayMs = options.chunkDelayMs ?? 20;
  const requests: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      let parsed: { stream?: boolean; model?: string } = {};
      try {
        parsed = JSON.parse(body || '{}') as typeof parsed;
      } catch {
        /* keep {} */
      }
      requests.push({ url: req.url, body: parsed });
      if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/messages')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'stand-in serves /v1/messages only' } }));
        return;
      }
      if ((req.url ?? '').startsWith('/v1/messages/count_tokens')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ input_tokens: 10 }));
        return;
      }
      const model = parsed.model ?? 'claude-stand-in';
      const message = { id: 'msg_standin', type: 'message', role: 'assistant', model, content: [] as unknown[], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } };
      if (!parsed.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...message, content: [{ type: 'text', text: answer }], stop_reason: 'end_turn', usage: { input_tokens: 10, output_tokens: 100 } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(sse('message_start', { type: 'message_start', message }));
      res.write(sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
      let offset = 0;
      const step = (): void => {
        if (res.destroyed) return;
        if (offset < answer.length) {
          const text = answer.slice(offset, offset + chunkChars);
          offset += chunkChars;
          res.write(sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }));
          setTimeout(step, chunkDelayMs);
          return;
        }
        res.write(sse('content_block_stop', { type: 'content_block_stop', index: 0 }));
        res.write(sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 100 } }));
        res.write(sse('message_stop', { type: 'message_stop' }));
        res.end();
      };
      step();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * A throwaway HOME whose ~/.claude.json pre-accepts onboarding, the API-key prompt and the trust dialog for
 * `projectDir`; returns the environment to run Claude Code with against `baseUrl`. `home`: an empty folder to use
 * (the bench's, inside its run folder: run-folder.ts), else a new one in the temporary folder (a test's own).
 */
export function claudeCodeEnvironment(baseUrl: string, projectDir: string, home: string = mkdtempSync(join(tmpdir(), 'tsmosh-cc-home-'))): { home: string; env: Record<string, string> } {
  const apiKey = 'sk-ant-standin-0000000000000000000000000000000000000000';
  const config = {
    hasCompletedOnboarding: true,
    lastOnboardingVersion: CLAUDE_CODE_VERSION,
    theme: 'dark',
    bypassPermissionsModeAccepted: true,
    customApiKeyResponses: { approved: [apiKey.slice(-20)], rejected: [] },
    projects: { [projectDir]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] } },
  };
  writeFileSync(join(home, '.claude.json'), JSON.stringify(config, null, 2));
  mkdirSync(join(home, '.claude'), { recursive: true });
  // Claude Code keeps folders in TMPDIR (claude-UID, cc-socks) that outlive it: inside HOME they go with it.
  const tmp = join(home, 'tmp');
  mkdirSync(tmp);
  return {
    home,
    env: {
      HOME: home,
      TMPDIR: tmp,
      ANTHROPIC_BASE_URL: baseUrl,
      ANTHROPIC_API_KEY: apiKey,
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
    },
  };
}

/** ms to wait for Claude Code to end by itself before removing its folders: it saves its session files on SIGHUP. */
const CLAUDE_CODE_EXIT_WAIT_MS = 10_000;
/** ms to wait for what was SIGKILLed after that to be gone. */
const KILLED_EXIT_WAIT_MS = 5_000;

/**
 * The processes working in one of `dirs` or with their HOME there (Linux's /proc; none found elsewhere): Claude Code
 * (its cwd is the project, its HOME the fixture's) and whatever it or the test started there.
 */
function processesIn(dirs: readonly string[]): number[] {
  const inside = (path: string): boolean => dirs.some((dir) => path === dir || path.startsWith(`${dir}/`));
  return processesMatching(({ cwd, environment }) => {
    const home = environment.find((variable) => variable.startsWith('HOME='));
    return inside(cwd) || (home !== undefined && inside(home.slice('HOME='.length)));
  });
}

/** Waits (polling /proc) until no process works in `dirs`, up to `ms`; true when none is left. */
async function processesEnded(dirs: readonly string[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processesIn(dirs).length > 0) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/**
 * Removes a test's Claude Code homes and projects once Claude Code has let go of them. Ended by tmux's SIGHUP (or its
 * session's end), it goes on writing its session files for a moment, and a folder removed meanwhile came back (a
 * leaked home in /tmp): wait for every process working there to end, SIGKILL what is left after 10 s, then remove.
 * A removal that still fails is retried for up to 10 s, then given up with a warning rather than fail a suite whose
 * tests passed.
 */
export async function removeClaudeCodeDirectories(dirs: readonly string[]): Promise<void> {
  if (!(await processesEnded(dirs, CLAUDE_CODE_EXIT_WAIT_MS))) {
    for (const pid of processesIn(dirs)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await processesEnded(dirs, KILLED_EXIT_WAIT_MS);
  }
  for (const dir of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        rmSync(dir, { recursive: true, force: true });
        break;
      } catch (error) {
        if (attempt >= 50) {
          console.warn(`claude-code fixture: could not remove ${dir}: ${(error as Error).message}`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}
