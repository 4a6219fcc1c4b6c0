import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { accessSync, constants, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Server, Socket } from 'node:net';
import { AgentSocket, type ForwardingStats } from '@tsmosh/forward';
import { PROTOCOL_VERSION, SESSION_ID_PATTERN, SESSION_NAME_PATTERN, SessionKey, type ConnectionStats } from '@tsmosh/protocol';
import {
  DaemonNotRunningError,
  listenControl,
  removeStaleSocket,
  requestControl,
  type ControlRequest,
  type DaemonStatus,
  type NewSessionRequest,
  type NewSessionResult,
  type SessionInfo,
} from './control.js';
import { ServerError } from './errors.js';
import { controlSocketPath, ensureRuntimeDir, resolveRuntimeDir } from './runtime-dir.js';
import {
  NETWORK_TIMEOUT_ENV,
  NO_CLIENT_TIMEOUT_ENV,
  UNNAMED_SESSION_IDLE_TIMEOUT_MS,
  Session,
  parseNetworkTimeout,
  parseNoClientTimeout,
  type SessionEndReason,
  type SessionPty,
} from './session.js';
import type { PtySpawnOptions } from './pty-host.js';
import { LatePty, spawnWhenLoaded } from './late-pty.js';
import { buildSessionEnvironment, defaultCommand, definedVariables, installedLocales, installedLocalesLater } from './session-environment.js';
import { SERVER_VERSION } from './version.js';
import { runningDaemonBuild } from './server-build.js';
import { kernelReceiveDrops } from './kernel-drops.js';
import { droppedCombiningMarks } from './cell-budget.js';
import { SESSION_RECORD_FORMAT, SESSION_SAVE_INTERVAL_MS, SessionRecordStore, currentBootId, resolveStateDir, foregroundDirectory, type SessionRecord } from './session-records.js';
import { describeEnding, planRestart, restoredScreen } from './session-restart.js';
import type { RestoredScreen } from './headless-mirror.js';
import { ScreenState, type Framebuffer } from '@tsmosh/terminal';
import { DEFAULT_PORT_RANGE, UdpEndpoint } from './udp-endpoint.js';
import { DAEMON_IDLE_LINGER_MS } from './session-timeouts.js';

/**
 * The per-user daemon: a registry of sessions, the UDP endpoints they share (one socket per port), and the control
 * socket. `Daemon` is the registry alone (embeddable, no signals, no socket); `startDaemon` adds the control socket,
 * signal handling and exit-when-empty, and is what `tsmosh-server daemon` runs.
 */

export { SERVER_VERSION } from './version.js';

/**
 * A daemon that has hosted no session this long after it started (ms) exits. The `new` that started it sends its
 * request within milliseconds; this only reaps a daemon whose starter died, or the loser of a start race.
 */
const DAEMON_UNUSED_EXIT_MS = 30_000;

export interface DaemonInit {
  readonly log?: (line: string) => void;
  /**
   * Starts a session's program; defaults to the PtyHost (node-pty + HeadlessMirror), loaded at the first session (a
   * LatePty until then, so that session is answered before the load: late-pty.ts). A LatePty that fails ends its
   * session with the reason.
   */
  readonly spawnPty?: (options: PtySpawnOptions) => SessionPty;
  /**
   * Where named sessions are recorded so they can be started again after this daemon is gone
   * (session-records.ts); no records without it.
   */
  readonly stateDir?: string;
  /** How often (ms) changed named sessions are saved; default SESSION_SAVE_INTERVAL_MS. */
  readonly saveIntervalMs?: number;
  /**
   * Where sessions with agent forwarding keep their agent socket, one 0700 folder each (by name for a named session,
   * so the path survives a restart); default `<runtime dir>/agent`.
   */
  readonly agentDir?: string;
}

interface HostedSession {
  readonly session: Session;
  readonly pty: SessionPty;
  readonly endpoint: UdpEndpoint;
  readonly command: readonly string[];
  /** Set at start for a named session, or later when an unnamed one is taken over by its ID (nameById). */
  name: string | undefined;
  /** The environment and folder it started with, what a record keeps (also for an unnamed one adopted later). */
  readonly startEnv: Readonly<Record<string, string>>;
  readonly startDirectory: string;
  /** Named sessions with records: the record as started, and what the last save held. */
  record?: SessionRecord;
  saved?: { framebuffer: Framebuffer; scrollbackEnd: number; directory: string | undefined };
}

/** How a named session is started again from its record (session-restart.ts). */
interface Restart {
  /** The command the session was first started with (what the record keeps). */
  readonly recordedCommand: readonly string[];
  /** What runs now: the recorded command, with `--continue` for Claude Code. */
  readonly command: readonly string[];
  readonly directory: string;
  readonly env: Readonly<Record<string, string>>;
  readonly restored: RestoredScreen;
}

/** A session name's rule lives in @tsmosh/protocol (session-name.ts), shared with the tsmosh command. */
export { SESSION_NAME_PATTERN };

export class Daemon {
  private readonly sessions = new Map<string, HostedSession>();
  /** Every client key ID in use (current, pending or retiring), so a new key never collides with a live one. */
  private readonly linkIds = new Set<string>();
  /** Named sessions being created, so two racing `new --name X` make one session and one attach. */
  private readonly creatingByName = new Map<string, Promise<unknown>>();
  private readonly endpoints = new Set<UdpEndpoint>();
  private readonly log: (line: string) => void;
  private readonly spawnPty: (options: PtySpawnOptions) => SessionPty;
  private readonly agentDir: string | undefined;
  /** The installed locales, read once (null: not yet); `localesLater` while prefetchLocales' read is under way. */
  private locales: ReadonlySet<string> | undefined | null = null;
  private localesLater: Promise<ReadonlySet<string> | undefined> | undefined;
  private pendingRequests = 0;
  private closing = false;
  private readonly emptyListeners: Array<() => void> = [];
  private readonly records: SessionRecordStore | undefined;
  private readonly saveIntervalMs: number;
  private saveTimer: NodeJS.Timeout | undefined;
  /** Sessions ended by `kill` (the user's own decision): their records go with them. */
  private readonly killedByUser = new Set<string>();
  private readonly bootId = currentBootId();

  constructor(init: DaemonInit = {}) {
    this.log = init.log ?? (() => {});
    this.spawnPty = init.spawnPty ?? spawnWhenLoaded;
    this.agentDir = init.agentDir;
    this.records = init.stateDir === undefined ? undefined : new SessionRecordStore(init.stateDir);
    this.saveIntervalMs = init.saveIntervalMs ?? SESSION_SAVE_INTERVAL_MS;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Whether a request is being served or any session lives. */
  get busy(): boolean {
    return this.sessions.size > 0 || this.pendingRequests > 0;
  }

  /** Starts reading the installed locales now, so that the first session does not wait for `locale -a`. */
  prefetchLocales(): void {
    if (this.locales === null && this.localesLater === undefined) this.localesLater = installedLocalesLater();
  }

  /** Called whenever the daemon becomes idle (no sessions, no request in progress). */
  onEmpty(listener: () => void): void {
    this.emptyListeners.push(listener);
  }

  async newSession(request: NewSessionRequest): Promise<NewSessionResult> {
    const { sessionId, port, key, name, attached } = await this.openSession(request);
    return { sessionId, port, key, ...(name !== undefined ? { name } : {}), attached };
  }

  /** `newSession`, plus a handle on the session's end (for embedders, who hold the session themselves). */
  async openSession(request: NewSessionRequest): Promise<NewSessionResult & { ended: Promise<SessionEndReason> }> {
    if (this.closing) {
      throw new ServerError('shutting-down', 'tsmosh-server: the daemon is shutting down; retry in a moment');
    }
    this.pendingRequests++;
    try {
      const name = request.name;
      if (name === undefined) return await this.createHostedSession(request);
      if (!SESSION_NAME_PATTERN.test(name)) {
        throw new ServerError(
          'usage',
          `tsmosh-server: session name ${JSON.stringify(name)} is not allowed; use up to 64 letters, digits, '.', '_' or '-'`,
        );
      }
      // One creation per name at a time: a racing request waits, then attaches to what the first one made.
      for (let inFlight = this.creatingByName.get(name); inFlight !== undefined; inFlight = this.creatingByName.get(name)) {
        await inFlight.catch(() => undefined);
      }
      // By its name, or by its ID as `kill` takes either (a name shaped like an ID names no session: createNamedSession).
      const existing = this.findByName(name) ?? this.sessions.get(name);
      if (existing !== undefined) {
        if (existing.name === undefined) this.nameById(existing, request);
        return this.attach(existing, request);
      }
      const creating = this.createNamedSession(request, name);
      this.creatingByName.set(name, creating);
      try {
        return await creating;
      } finally {
        this.creatingByName.delete(name);
      }
    } finally {
      this.pendingRequests--;
      this.notifyIfEmpty();
    }
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map(({ session, endpoint, command, name }) => {
      const client = session.clientAddress;
      return {
        sessionId: session.sessionId,
        name,
        port: endpoint.port,
        pid: session.pid,
        command,
        startedAt: session.startedAt.toISOString(),
        clientAddress: client === undefined ? undefined : `${client.host}:${client.port}`,
        lastHeardMsAgo: session.lastHeardMsAgo,
        attached: session.attached,
        pendingAttaches: session.pendingAttaches,
        idleTimeoutMs: session.idleTimeoutMs,
        drops: dropCounters(session.connectionStats),
      };
    });
  }

  /**
   * A named session that does not run: started fresh, or, when its record says it ran before and this daemon did
   * not see it end by `kill`, started again as the record says (session-restart.ts), with a notice for the user.
   */
  private async createNamedSession(request: NewSessionRequest, name: string): Promise<NewSessionResult & { ended: Promise<SessionEndReason> }> {
    const found = this.records?.load(name);
    if (found === undefined && SESSION_ID_PATTERN.test(name)) {
      throw new ServerError(
        'no-such-session',
        `tsmosh-server: no session with ID ${name} runs (it has ended); \`tsmosh-server list\` shows the running ones, or start one under a name that is not an ID`,
      );
    }
    if (found === undefined) return this.createHostedSession(request);
    if ('problem' in found) {
      this.log(`session ${name}: its record is unreadable (${found.problem}); starting it fresh`);
      const result = await this.createHostedSession(request);
      return { ...result, notice: `tsmosh: the saved record of session ${JSON.stringify(name)} could not be read (${found.problem}); started it fresh.` };
    }
    const { record, screen } = found.loaded;
    const plan = planRestart(record, { bootId: this.bootId }, new Date(), (dir) => existingDirectory(dir) !== undefined);
    const restart: Restart = {
      recordedCommand: record.command,
      command: plan.command,
      directory: plan.directory,
      // The new login's variables win; the record fills in what the session had that this login lacks.
      env: { ...record.env, ...definedVariables(request.env) },
      restored: restoredScreen(screen, plan.marker),
    };
    this.log(`session ${name}: ${plan.notice.replace(/^tsmosh: /, '')}`);
    const result = await this.createHostedSession(request, restart);
    return { ...result, notice: plan.notice };
  }

  /** The live session with this name, if any. */
  private findByName(name: string): HostedSession | undefined {
    for (const hosted of this.sessions.values()) if (hosted.name === name) return hosted;
    return undefined;
  }

  /**
   * An unnamed session asked for by its ID (`--name ID`): the only way back to it after its client died, since
   * nothing else can attach to it. From then on it is a named session whose name is its ID: it outlives a client that
   * quits, is recorded for a restart, and loses the unnamed default idle timeout (an explicit --idle-timeout or the
   * environment's still applies), which is what `--session` promises its user.
   */
  private nameById(hosted: HostedSession, request: NewSessionRequest): void {
    const id = hosted.session.sessionId;
    hosted.name = id;
    hosted.session.keepAfterClientQuits();
    if (request.idleTimeoutMs === undefined && hosted.session.idleTimeoutMs === UNNAMED_SESSION_IDLE_TIMEOUT_MS) {
      hosted.session.setIdleTimeout(parseNetworkTimeout(request.env[NETWORK_TIMEOUT_ENV]).timeoutMs);
    }
    this.startRecord(hosted);
    this.log(`session ${id}: unnamed, taken over by its ID; named ${id} from now on`);
  }

  /** A session by its ID or its name. */
  private resolve(idOrName: string): HostedSession | undefined {
    return this.sessions.get(idOrName) ?? this.findByName(idOrName);
  }

  /**
   * Attach: a fresh key for an existing session. Nothing changes until a client speaks under it (then the previous
   * client is told it was taken over); the old keys stop routing here once their client is told or gives up.
   */
  private attach(hosted: HostedSession, request: NewSessionRequest): NewSessionResult & { ended: Promise<SessionEndReason> } {
    const { session, endpoint } = hosted;
    const key = this.freshKey();
    // A text client's attach: its lines from the attach on, every one (Session keepEveryLine, per client).
    session.addClient(key, request.keepEveryLine === true ? { keepEveryLine: true } : {});
    this.linkIds.add(key.sessionIdHex);
    endpoint.register(key.sessionIdHex, (bytes, from) => session.receive(bytes, from, key.sessionIdHex));
    if (request.idleTimeoutMs !== undefined) session.setIdleTimeout(request.idleTimeoutMs === 0 ? undefined : request.idleTimeoutMs);
    if (request.terminalAnswers !== undefined) hosted.pty.setClientTerminal?.(request.terminalAnswers);
    this.log(`session ${session.sessionId} (${hosted.name}): attach requested; new key ${key.sessionIdHex}`);
    return {
      sessionId: session.sessionId,
      port: endpoint.port,
      key: key.toString(),
      ...(hosted.name !== undefined ? { name: hosted.name } : {}),
      attached: true,
      ended: session.ended,
    };
  }

  /** A key whose ID names no live session or client key (IDs are 64 random bits; the loop almost never repeats). */
  private freshKey(): SessionKey {
    let key = SessionKey.generate(randomSource);
    while (this.linkIds.has(key.sessionIdHex) || this.sessions.has(key.sessionIdHex)) key = SessionKey.generate(randomSource);
    return key;
  }

  /** Resolves when the session ends; undefined for an unknown ID or name. */
  ended(idOrName: string): Promise<SessionEndReason> | undefined {
    return this.resolve(idOrName)?.session.ended;
  }

  /** Ends one session, by ID or name (client told through the transport shutdown); resolves when it has ended. */
  async kill(idOrName: string): Promise<SessionEndReason> {
    const hosted = this.resolve(idOrName);
    // A named session that no longer runs but is kept for a restart (lost-sessions.ts): forgetting it is its end.
    if (hosted === undefined && this.records?.forget(idOrName) === true) return 'killed';
    if (hosted === undefined) {
      throw new ServerError(
        'no-such-session',
        `tsmosh-server: no session named or numbered ${JSON.stringify(idOrName)}; \`tsmosh-server list\` shows the running ones`,
      );
    }
    this.killedByUser.add(hosted.session.sessionId);
    hosted.session.kill();
    return hosted.session.ended;
  }

  status(): DaemonStatus {
    const kernelDrops = kernelReceiveDrops();
    return {
      pid: process.pid,
      version: SERVER_VERSION,
      build: runningDaemonBuild(),
      protocol: PROTOCOL_VERSION,
      sessions: this.sessions.size,
      endpoints: [...this.endpoints].map((endpoint) => ({
        address: endpoint.address,
        port: endpoint.port,
        sessions: endpoint.sessionCount,
        datagramsReceived: endpoint.stats.datagramsReceived,
        unknownSession: endpoint.stats.unknownSession,
        malformed: endpoint.stats.malformed,
        sendErrors: endpoint.stats.sendErrors,
        handlerErrors: endpoint.stats.handlerErrors,
        // Datagrams the kernel dropped before we read them (a full receive buffer); undefined off Linux.
        kernelReceiveDrops: kernelDrops(endpoint.port) ?? null,
      })),
      droppedEscapeStrings: [...this.sessions.values()].reduce((sum, { pty }) => {
        const stats = pty.mirror?.stats;
        return sum + (stats === undefined ? 0 : stats.droppedOscStrings + stats.droppedDcsStrings);
      }, 0),
      unsafeRepliesDropped: [...this.sessions.values()].reduce((sum, { pty }) => sum + (pty.mirror?.stats.unsafeRepliesDropped ?? 0), 0),
      droppedCombiningMarks: droppedCombiningMarks(),
      forwarding: sumForwardingStats([...this.sessions.values()].map(({ session }) => session.forwarding.stats)),
    };
  }

  /** Ends every session cleanly, refuses new ones, and closes every socket. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.saveTimer !== undefined) clearInterval(this.saveTimer);
    this.saveTimer = undefined;
    const ending = [...this.sessions.values()].map(({ session }) => {
      session.kill('the tsmosh server daemon was shut down');
      return session.ended;
    });
    await Promise.all(ending);
    await Promise.all([...this.endpoints].map((endpoint) => endpoint.close()));
    this.endpoints.clear();
  }

  private async createHostedSession(
    request: NewSessionRequest,
    restart?: Restart,
  ): Promise<NewSessionResult & { ended: Promise<SessionEndReason> }> {
    if (this.locales === null) this.locales = this.localesLater !== undefined ? await this.localesLater : installedLocales();
    const env = buildSessionEnvironment({
      env: restart?.env ?? request.env,
      ...(request.locale !== undefined ? { locale: request.locale } : {}),
      installedLocales: this.locales,
    });
    const networkTimeout = parseNetworkTimeout(request.env[NETWORK_TIMEOUT_ENV]);
    if (networkTimeout.warning !== undefined) this.log(networkTimeout.warning);
    // --idle-timeout wins over the environment; 0 means never. Without either, an unnamed session (which nothing can
    // attach to) ends after UNNAMED_SESSION_IDLE_TIMEOUT_MS without its client; a named one waits for its user.
    const idleTimeoutMs =
      request.idleTimeoutMs !== undefined
        ? request.idleTimeoutMs === 0
          ? undefined
          : request.idleTimeoutMs
        : (networkTimeout.timeoutMs ?? (request.name === undefined ? UNNAMED_SESSION_IDLE_TIMEOUT_MS : undefined));
    const command =
      restart !== undefined ? [...restart.command] : request.command !== undefined && request.command.length > 0 ? [...request.command] : defaultCommand(env);
    // node-pty reports a missing program only as an exit after fork; check first so `new` can refuse in one line.
    if (!isExecutableCommand(command[0]!, env)) {
      throw new ServerError(
        'spawn',
        `tsmosh-server: cannot run ${command[0]}: no such executable${command[0]!.includes('/') ? '' : ' in PATH'}; check the command after --`,
      );
    }
    const endpoint = await this.endpointFor(request.bindAddress, request.ports ?? DEFAULT_PORT_RANGE);
    const key = this.freshKey();
    // Agent forwarding (-A): the socket exists before the program starts, so SSH_AUTH_SOCK is in its environment.
    const agentFolder = (): string => join(this.agentDir ?? join(ensureRuntimeDir(resolveRuntimeDir()), 'agent'), request.name ?? key.sessionIdHex);
    // A named session restarted after a reboot had one if its recorded SSH_AUTH_SOCK is its agent socket.
    const wantsAgent = request.forwardAgent === true || (restart !== undefined && restart.env.SSH_AUTH_SOCK?.startsWith(`${agentFolder()}/`) === true);
    let agentSocket: AgentSocket | undefined;
    let agentConnection: ((socket: Socket) => void) | undefined;
    if (wantsAgent) {
      try {
        agentSocket = await AgentSocket.create(agentFolder(), (socket) => (agentConnection === undefined ? socket.destroy() : agentConnection(socket)));
      } catch (error) {
        this.releaseEndpointIfUnused(endpoint);
        throw new ServerError('spawn', error instanceof Error ? error.message : String(error));
      }
      env.SSH_AUTH_SOCK = agentSocket.path;
    }
    const cols = request.cols ?? 80;
    const rows = request.rows ?? 24;
    const cwd = restart?.directory ?? existingDirectory(request.directory) ?? existingDirectory(env.HOME) ?? existingDirectory(homedir()) ?? '/';
    let pty: SessionPty;
    try {
      pty = this.spawnPty({
        file: command[0]!,
        args: command.slice(1),
        env,
        cwd,
        cols,
        rows,
        ...(restart !== undefined ? { restored: restart.restored } : {}),
        ...(request.terminalAnswers !== undefined ? { clientTerminal: request.terminalAnswers } : {}),
        // A script's text session (input not a terminal) echoes none of its input (echo-off-start.ts). A restart
        // follows the client asking now, not the one that first started the session: it is that client's input.
        ...(request.noEcho === true ? { echo: false } : {}),
      });
    } catch (error) {
      agentSocket?.close();
      this.releaseEndpointIfUnused(endpoint);
      throw new ServerError(
        'spawn',
        `tsmosh-server: cannot start ${command[0]}: ${error instanceof Error ? error.message : String(error)}; check the command after --`,
      );
    }
    const sessionId = key.sessionIdHex;
    const session = new Session({
      key,
      pty,
      send: (datagram) => endpoint.send(datagram),
      ...(idleTimeoutMs !== undefined ? { networkTimeoutMs: idleTimeoutMs } : {}),
      noClientTimeoutMs: parseNoClientTimeout(request.env[NO_CLIENT_TIMEOUT_ENV]),
      log: this.log,
      // A named session outlives its clients, even one that quits; an unnamed one ends with it, as in mosh.
      endsWhenClientQuits: request.name === undefined,
      ...(request.keepEveryLine === true ? { keepEveryLine: true } : {}),
      onLinkClosed: (linkId) => {
        endpoint.unregister(linkId);
        this.linkIds.delete(linkId);
      },
      agentSocket: agentSocket !== undefined,
    });
    agentConnection = (socket) => session.forwarding.onAgentConnection(socket);
    if (pty instanceof LatePty) {
      void pty.failed.then((error) => {
        this.log(`session ${sessionId}: cannot start \`${command.join(' ')}\`: ${error.message}`);
        session.kill(`tsmosh-server: cannot start ${command[0]}: ${error.message}`);
      });
    }
    const name = request.name;
    const hosted: HostedSession = { session, pty, endpoint, command, name, startEnv: env, startDirectory: cwd };
    this.sessions.set(sessionId, hosted);
    if (name !== undefined) this.startRecord(hosted, restart?.recordedCommand);
    this.linkIds.add(sessionId);
    endpoint.register(sessionId, (bytes, from) => session.receive(bytes, from, sessionId));
    this.log(`session ${sessionId}${name !== undefined ? ` (${name})` : ''}: started \`${command.join(' ')}\` (${pty instanceof LatePty && !pty.started ? 'its pty still loading' : `pid ${pty.pid}`}) on UDP port ${endpoint.port}`);
    void session.ended.then(() => {
      agentSocket?.close();
      this.recordEnd(hosted);
      for (const linkId of session.linkIds) {
        endpoint.unregister(linkId);
        this.linkIds.delete(linkId);
      }
      this.sessions.delete(sessionId);
      this.releaseEndpointIfUnused(endpoint);
      this.notifyIfEmpty();
    });
    return { sessionId, port: endpoint.port, key: key.toString(), ...(name !== undefined ? { name } : {}), attached: false, ended: session.ended };
  }

  /**
   * A named session's record (session-records.ts), saved now and then while it runs. `recordedCommand`: what the
   * user asked for, not the `--continue` a restart added: the next restart decides afresh.
   */
  private startRecord(hosted: HostedSession, recordedCommand: readonly string[] = hosted.command): void {
    if (hosted.name === undefined || this.records === undefined) return;
    const { session } = hosted;
    hosted.record = {
      format: SESSION_RECORD_FORMAT,
      name: hosted.name,
      command: recordedCommand,
      env: hosted.startEnv,
      startDirectory: hosted.startDirectory,
      lastDirectory: undefined,
      startedAt: session.startedAt.toISOString(),
      daemonPid: process.pid,
      bootId: this.bootId,
      savedAt: new Date().toISOString(),
    };
    this.saveRecord(hosted);
    this.startSaving();
  }

  /** Saves named sessions whose screen, history or folder changed, every saveIntervalMs while any runs. */
  private startSaving(): void {
    if (this.saveTimer !== undefined) return;
    this.saveTimer = setInterval(() => {
      let named = 0;
      for (const hosted of this.sessions.values()) {
        if (hosted.record === undefined) continue;
        named++;
        this.saveRecord(hosted);
      }
      if (named === 0) {
        clearInterval(this.saveTimer);
        this.saveTimer = undefined;
      }
    }, this.saveIntervalMs);
    // Saving never keeps the daemon alive by itself.
    this.saveTimer.unref();
  }

  /** Writes the record and screen of a named session if anything in them changed since the last save. */
  private saveRecord(hosted: HostedSession, ended?: { at: string; description: string }): void {
    const records = this.records;
    const base = hosted.record;
    if (records === undefined || base === undefined) return;
    const framebuffer = hosted.session.screen;
    const scrollback = hosted.pty.scrollback?.();
    const directory = ended === undefined ? (foregroundDirectory(hosted.session.pid) ?? hosted.saved?.directory) : hosted.saved?.directory;
    const saved = hosted.saved;
    const unchanged =
      saved !== undefined && saved.framebuffer === framebuffer && saved.scrollbackEnd === (scrollback?.end ?? 0) && saved.directory === directory;
    if (unchanged && ended === undefined) return;
    const record: SessionRecord = { ...base, lastDirectory: directory, savedAt: new Date().toISOString(), ...(ended !== undefined ? { ended } : {}) };
    try {
      records.save(record, unchanged ? undefined : new ScreenState(framebuffer, 0, undefined, scrollback));
      hosted.saved = { framebuffer, scrollbackEnd: scrollback?.end ?? 0, directory };
    } catch (error) {
      // A full disk or a broken state folder must not take the session down: it only loses its restart.
      this.log(`session ${base.name}: cannot save its record in ${records.dir}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** A named session ended: a `kill` removes its record; any other end is written down for the next attach. */
  private recordEnd(hosted: HostedSession): void {
    const records = this.records;
    const base = hosted.record;
    if (records === undefined || base === undefined) return;
    if (this.killedByUser.delete(hosted.session.sessionId)) {
      try {
        records.remove(base.name);
      } catch (error) {
        this.log(`session ${base.name}: cannot remove its record from ${records.dir}: ${error instanceof Error ? error.message : String(error)}`);
      }
      return;
    }
    const ending = hosted.session.ending;
    this.saveRecord(hosted, { at: new Date().toISOString(), description: ending === undefined ? 'for an unknown reason' : describeEnding(ending) });
  }

  /** An endpoint this daemon already has on a port in range (same bind address), else a newly bound one. */
  private async endpointFor(
    address: string | undefined,
    ports: { readonly low: number; readonly high: number },
  ): Promise<UdpEndpoint> {
    for (const endpoint of this.endpoints) {
      const sameAddress = address === undefined ? endpoint.address === '::' || endpoint.address === '0.0.0.0' : endpoint.address === address;
      const inRange = (ports.low === 0 && ports.high === 0) || (endpoint.port >= ports.low && endpoint.port <= ports.high);
      if (sameAddress && inRange) return endpoint;
    }
    const endpoint = await UdpEndpoint.bind({ ...(address !== undefined ? { address } : {}), ports });
    this.endpoints.add(endpoint);
    this.log(`listening on UDP ${endpoint.address} port ${endpoint.port}${endpoint.tcpStats !== undefined ? ' and on TCP port ' + endpoint.port + ' for clients whose UDP is blocked' : ' (TCP port taken: no fallback for clients whose UDP is blocked)'}`);
    return endpoint;
  }

  private releaseEndpointIfUnused(endpoint: UdpEndpoint): void {
    if (endpoint.sessionCount > 0) return;
    for (const hosted of this.sessions.values()) if (hosted.endpoint === endpoint) return;
    this.endpoints.delete(endpoint);
    void endpoint.close();
  }

  private notifyIfEmpty(): void {
    if (this.busy) return;
    for (const listener of this.emptyListeners) listener();
  }
}

/** The non-zero `drop*` counters of a Connection, e.g. `{ dropBadTag: 3 }`. */
function dropCounters(stats: ConnectionStats): Record<string, number> {
  const drops: Record<string, number> = {};
  for (const [name, value] of Object.entries(stats)) if (name.startsWith('drop') && value !== 0) drops[name] = value;
  return drops;
}

function randomSource(length: number): Uint8Array {
  return new Uint8Array(randomBytes(length));
}

/** Whether `file` names an executable regular file, directly (with a slash) or through the session's PATH. */
function isExecutableCommand(file: string, env: Readonly<Record<string, string>>): boolean {
  const candidates = file.includes('/')
    ? [file]
    : (env.PATH ?? '/usr/bin:/bin').split(':').map((dir) => join(dir === '' ? '.' : dir, file));
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

function existingDirectory(path: string | undefined): string | undefined {
  if (path === undefined || path === '') return undefined;
  try {
    return statSync(path).isDirectory() ? path : undefined;
  } catch {
    return undefined;
  }
}

export interface CreateSessionOptions extends DaemonInit {
  /** argv; default the user's login shell. */
  readonly command?: readonly string[];
  /** The program's environment; default this process's. A UTF-8 locale is required (see `locale`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Locale variables used if `env` has no UTF-8 locale (the `-l` of `tsmosh-server new`). */
  readonly locale?: Readonly<Record<string, string>>;
  /** Inclusive UDP port range; default 60001–60999. `{low: 0, high: 0}` takes any free port. */
  readonly ports?: { readonly low: number; readonly high: number };
  readonly bindAddress?: string;
  readonly cols?: number;
  readonly rows?: number;
}

export interface EmbeddedSession {
  readonly sessionId: string;
  readonly port: number;
  /** The printable key a client needs (TSMOSH_KEY). */
  readonly key: string;
  /** Resolves when the session ends (command exit, timeouts, or kill()). Its UDP socket is closed by then. */
  readonly ended: Promise<SessionEndReason>;
  /** Ends the session, telling the client; resolves when it has ended. */
  kill(): Promise<SessionEndReason>;
}

/**
 * One session hosted in this process on its own UDP port, without a daemon or control socket: the embedding API.
 * It is the same Session and UdpEndpoint code the daemon runs.
 */
export async function createSession(options: CreateSessionOptions = {}): Promise<EmbeddedSession> {
  const daemon = new Daemon(options);
  const env = definedVariables(options.env ?? process.env);
  const opened = await daemon.openSession({
    env,
    ...(options.command !== undefined ? { command: options.command } : {}),
    ...(options.locale !== undefined ? { locale: options.locale } : {}),
    ...(options.ports !== undefined ? { ports: options.ports } : {}),
    ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}),
    ...(options.cols !== undefined ? { cols: options.cols } : {}),
    ...(options.rows !== undefined ? { rows: options.rows } : {}),
  });
  const { sessionId, port, key, ended } = opened;
  return {
    sessionId,
    port,
    key,
    ended,
    kill: async () => (daemon.ended(sessionId) === undefined ? ended : daemon.kill(sessionId)),
  };
}

export interface StartDaemonOptions extends DaemonInit {
  /** Defaults to resolveRuntimeDir(process.env). */
  readonly runtimeDir?: string;
  /** Exit the process when the last session ends (default false: embedders decide), after `idleLingerMs`. */
  readonly exitProcessWhenEmpty?: boolean;
  /**
   * With exitProcessWhenEmpty: how long the empty daemon waits for a next session before it exits (ms; default
   * DAEMON_IDLE_LINGER_MS, 0 = at once). A session started meanwhile keeps it.
   */
  readonly idleLingerMs?: number;
  /** Install SIGTERM/SIGINT (clean shutdown) and ignore SIGHUP/SIGPIPE (default false). */
  readonly handleSignals?: boolean;
  /** With exitProcessWhenEmpty: DAEMON_UNUSED_EXIT_MS (ms), shorter in tests. */
  readonly unusedExitMs?: number;
}

export interface RunningDaemon {
  readonly daemon: Daemon;
  readonly socketPath: string;
  /** Resolves once the daemon has shut down (close() called, a signal, or emptiness with exitProcessWhenEmpty). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** How long the start lock may be held before another starter treats it as abandoned (ms). */
const START_LOCK_STALE_MS = 10_000;
/** How long a starter waits for the start lock (ms): far above a normal start (tens of ms). */
const START_LOCK_WAIT_MS = 15_000;
/** Poll step while waiting for the start lock (ms). */
const START_LOCK_POLL_MS = 25;
/** Deadline for the liveness probe of an existing control socket (ms). */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * Starts a daemon on the control socket of `runtimeDir`. Throws ServerError('daemon-start') if another daemon
 * already answers there (the loser of a start race exits with it).
 */
export async function startDaemon(options: StartDaemonOptions = {}): Promise<RunningDaemon> {
  const runtimeDir = ensureRuntimeDir(options.runtimeDir ?? resolveRuntimeDir());
  const socketPath = controlSocketPath(runtimeDir);
  const log = options.log ?? (() => {});
  // Named sessions are recorded beside this daemon's own runtime folder when it was given one (session-records.ts).
  const stateDir = options.stateDir ?? resolveStateDir(options.runtimeDir !== undefined ? { ...process.env, TSMOSH_RUNTIME_DIR: options.runtimeDir } : process.env);
  const daemon = new Daemon({ ...options, stateDir, agentDir: options.agentDir ?? join(runtimeDir, 'agent') });
  // A daemon is started for a session that is already on its way: read the locales while the socket comes up.
  daemon.prefetchLocales();
  const server = await withStartLock(runtimeDir, async () => {
    try {
      await requestControl(socketPath, { op: 'status' }, PROBE_TIMEOUT_MS);
      throw new ServerError('daemon-start', `tsmosh-server: a daemon already answers on ${socketPath}`);
    } catch (error) {
      if (!(error instanceof DaemonNotRunningError)) throw error;
    }
    removeStaleSocket(socketPath);
    return listenControl(socketPath, (request) => dispatch(daemon, request));
  });
  log(`daemon ${process.pid} (tsmosh ${SERVER_VERSION}) listening on ${socketPath}`);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing: Promise<void> | undefined;
  let unusedTimer: NodeJS.Timeout | undefined;
  let lingerTimer: NodeJS.Timeout | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Refuse new sessions first (synchronously), so a request accepted just before the socket closes cannot
      // start a session that is about to be killed; its caller retries and starts a fresh daemon.
      const sessionsEnded = daemon.close();
      await new Promise<void>((resolve) => closeServer(server, resolve));
      await sessionsEnded;
      if (unusedTimer !== undefined) clearTimeout(unusedTimer);
      if (lingerTimer !== undefined) clearTimeout(lingerTimer);
      if (options.handleSignals) {
        process.off('SIGTERM', onTerminate);
        process.off('SIGINT', onTerminate);
      }
      log(`daemon ${process.pid} exiting`);
      resolveClosed();
    })();
    return closing;
  };
  const onTerminate = (signal: NodeJS.Signals): void => {
    log(`daemon ${process.pid}: ${signal}: ending ${daemon.sessionCount} session(s)`);
    void close();
  };
  if (options.handleSignals) {
    process.on('SIGTERM', onTerminate);
    process.on('SIGINT', onTerminate);
    // Losing the terminal or SSH connection that started us must not end the sessions.
    process.on('SIGHUP', () => log('SIGHUP ignored'));
    process.on('SIGPIPE', () => {});
  }
  // Only a daemon that exits when empty reaps itself when unused; an embedder's daemon lives until close().
  if (options.exitProcessWhenEmpty) {
    const unusedMs = options.unusedExitMs ?? DAEMON_UNUSED_EXIT_MS;
    unusedTimer = setTimeout(() => {
      unusedTimer = undefined;
      if (!daemon.busy) {
        log(`no session requested within ${unusedMs} ms; exiting`);
        void close();
      }
    }, unusedMs);
    const lingerMs = options.idleLingerMs ?? DAEMON_IDLE_LINGER_MS;
    daemon.onEmpty(() => {
      // It was used: from now on the linger alone decides. Left armed, the unused timer ended a daemon whose
      // sessions had all ended within DAEMON_UNUSED_EXIT_MS of its start, in the middle of its linger.
      if (unusedTimer !== undefined) clearTimeout(unusedTimer);
      unusedTimer = undefined;
      if (lingerTimer !== undefined) clearTimeout(lingerTimer);
      if (lingerMs === 0) {
        log('no sessions left');
        void close();
        return;
      }
      log(`no sessions left; exiting in ${lingerMs} ms unless a session starts`);
      lingerTimer = setTimeout(() => {
        lingerTimer = undefined;
        if (daemon.busy) return; // a session started meanwhile: its end arms the timer again
        log(`no session for ${lingerMs} ms; exiting`);
        void close();
      }, lingerMs);
    });
  }
  return { daemon, socketPath, closed, close };
}

function closeServer(server: Server, done: () => void): void {
  // close() stops accepting; connections already accepted finish their one request.
  server.close(() => done());
}

async function dispatch(daemon: Daemon, request: ControlRequest): Promise<unknown> {
  switch (request.op) {
    case 'new':
      return { ...(await daemon.newSession(request.request)), build: runningDaemonBuild() };
    case 'list':
      return daemon.list();
    case 'kill':
      await daemon.kill(request.sessionId);
      return { killed: request.sessionId };
    case 'status':
      return daemon.status();
  }
}

/**
 * Serializes daemon start-up within a runtime dir with an atomic mkdir, so two racing starters cannot both remove
 * and re-create the control socket (which would strand one daemon on an unlinked path).
 */
async function withStartLock<T>(runtimeDir: string, action: () => Promise<T>): Promise<T> {
  const lock = join(runtimeDir, 'start.lock');
  const deadline = Date.now() + START_LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock, { mode: 0o700 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > START_LOCK_STALE_MS) rmdirSync(lock);
      } catch {
        // Removed by its holder between our mkdir and stat: try again.
      }
      if (Date.now() > deadline) {
        throw new ServerError('daemon-start', `tsmosh-server: ${lock} is held by another starter; remove it if no tsmosh-server is starting`);
      }
      await new Promise((resolve) => setTimeout(resolve, START_LOCK_POLL_MS));
    }
  }
  try {
    return await action();
  } finally {
    try {
      rmdirSync(lock);
    } catch {
      // Already gone (treated as stale by someone else): nothing to release.
    }
  }
}

function sumForwardingStats(all: readonly ForwardingStats[]): ForwardingStats {
  const total = { openChannels: 0, refusedConnections: 0, protocolViolations: 0, malformedPackets: 0, remoteListeners: 0 };
  for (const stats of all) for (const key of Object.keys(total) as Array<keyof ForwardingStats>) total[key] += stats[key];
  return total;
}
