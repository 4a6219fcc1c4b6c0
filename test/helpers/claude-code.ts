/**
 * The real Claude Code fixture for tests: it lives in bench/src/claude-code.ts because the lossy-link benchmark runs
 * the same pinned version against the same stand-in (see there for what it installs, serves and writes).
 */
export {
  CLAUDE_CODE_BIN,
  CLAUDE_CODE_CACHE,
  CLAUDE_CODE_VERSION,
  claudeCodeEnvironment,
  claudeCodeInstalled,
  ensureClaudeCode,
  longMarkdownAnswer,
  removeClaudeCodeDirectories,
  startMessagesStandIn,
  type MessagesStandIn,
} from '../../bench/src/claude-code.js';
