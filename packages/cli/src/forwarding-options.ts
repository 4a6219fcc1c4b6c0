import { parseConfigForward, type ForwardSpec, type ForwardingOptions } from '@tsmosh/forward/front';

/**
 * What the command line asked to forward (-A, -L, -R), merged with ~/.ssh/config's ForwardAgent, LocalForward and
 * RemoteForward as ssh merges them: -A (or its absence) over ForwardAgent's first value, and forwards from both.
 */
export interface ForwardingArguments {
  /** -A given; undefined leaves it to ForwardAgent (default no, as ssh). */
  readonly agent?: boolean;
  readonly local: readonly ForwardSpec[];
  readonly remote: readonly ForwardSpec[];
}

export const NO_FORWARDING: ForwardingArguments = { local: [], remote: [] };

export interface ResolvedForwarding {
  /** undefined when nothing is forwarded. */
  readonly options: ForwardingOptions | undefined;
  /** Whether the session must get an agent socket (`tsmosh-server new --forward-agent`). */
  readonly agent: boolean;
  /** Lines to show before the session (an agent asked for but not running here). */
  readonly warnings: readonly string[];
}

/**
 * `config`: the host's ssh_config settings (lower-case keys, values in the order ssh reads them), or undefined when
 * no config applies (--local). Throws ForwardSpecError (one line) for a bad LocalForward or RemoteForward.
 */
export function resolveForwarding(
  args: ForwardingArguments,
  config: ReadonlyMap<string, readonly string[]> | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedForwarding {
  const warnings: string[] = [];
  const configAgent = config?.get('forwardagent')?.[0];
  let agentPath: string | undefined;
  let agent = args.agent ?? false;
  if (args.agent === undefined && configAgent !== undefined) {
    const value = configAgent.toLowerCase();
    if (value === 'yes') agent = true;
    else if (value !== 'no') {
      // ForwardAgent may name the socket itself, or an environment variable ($NAME) that holds it.
      agent = true;
      agentPath = configAgent.startsWith('$') ? env[configAgent.slice(1)] : configAgent;
    }
  }
  if (agent) {
    agentPath ??= env.SSH_AUTH_SOCK;
    if (agentPath === undefined || agentPath === '') {
      warnings.push('tsmosh: -A: SSH_AUTH_SOCK is not set here, so there is no agent to forward; start ssh-agent and ssh-add your key, or drop -A');
    }
  }
  const local = [...args.local, ...(config?.get('localforward') ?? []).map((value) => parseConfigForward('local', value))];
  const remote = [...args.remote, ...(config?.get('remoteforward') ?? []).map((value) => parseConfigForward('remote', value))];
  const options: ForwardingOptions = {
    ...(agent && agentPath !== undefined && agentPath !== '' ? { agentSocketPath: agentPath } : {}),
    local,
    remote,
  };
  const any = options.agentSocketPath !== undefined || local.length > 0 || remote.length > 0;
  return { options: any ? options : undefined, agent, warnings };
}
