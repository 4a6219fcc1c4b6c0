import { describe, expect, it } from 'vitest';
import { parseForwardSpec } from '@tsmosh/forward';
import { NO_FORWARDING, resolveForwarding } from './forwarding-options.js';

const config = (entries: Record<string, string[]>): ReadonlyMap<string, readonly string[]> => new Map(Object.entries(entries));

describe('forwarding from the command line and ssh_config', () => {
  it('forwards nothing by default, as ssh', () => {
    expect(resolveForwarding(NO_FORWARDING, config({}), { SSH_AUTH_SOCK: '/tmp/a' })).toEqual({ options: undefined, agent: false, warnings: [] });
  });

  it('takes -A or ForwardAgent yes, with the local SSH_AUTH_SOCK', () => {
    expect(resolveForwarding({ ...NO_FORWARDING, agent: true }, undefined, { SSH_AUTH_SOCK: '/tmp/a' }).options).toEqual({ agentSocketPath: '/tmp/a', local: [], remote: [] });
    expect(resolveForwarding(NO_FORWARDING, config({ forwardagent: ['yes'] }), { SSH_AUTH_SOCK: '/tmp/a' }).agent).toBe(true);
    expect(resolveForwarding(NO_FORWARDING, config({ forwardagent: ['no'] }), { SSH_AUTH_SOCK: '/tmp/a' }).agent).toBe(false);
  });

  it('takes a ForwardAgent socket path or $VARIABLE', () => {
    expect(resolveForwarding(NO_FORWARDING, config({ forwardagent: ['/run/agent.sock'] }), {}).options?.agentSocketPath).toBe('/run/agent.sock');
    expect(resolveForwarding(NO_FORWARDING, config({ forwardagent: ['$MY_AGENT'] }), { MY_AGENT: '/run/mine' }).options?.agentSocketPath).toBe('/run/mine');
  });

  it('says in one line when -A has no agent to forward, and still gives the session its socket', () => {
    const resolved = resolveForwarding({ ...NO_FORWARDING, agent: true }, undefined, {});
    expect(resolved.agent).toBe(true);
    expect(resolved.options).toBeUndefined();
    expect(resolved.warnings).toEqual([expect.stringMatching(/^tsmosh: -A: SSH_AUTH_SOCK is not set here/)]);
  });

  it('adds LocalForward and RemoteForward to the command line’s forwards', () => {
    const resolved = resolveForwarding(
      { local: [parseForwardSpec('local', '1:h:2')], remote: [] },
      config({ localforward: ['3 h:4'], remoteforward: ['[::1]:5 h:6'] }),
      {},
    );
    expect(resolved.options?.local?.map((spec) => spec.bindPort)).toEqual([1, 3]);
    expect(resolved.options?.remote).toEqual([{ direction: 'remote', bindHost: '::1', bindPort: 5, host: 'h', hostPort: 6 }]);
    expect(() => resolveForwarding(NO_FORWARDING, config({ localforward: ['nonsense'] }), {})).toThrow(/LocalForward nonsense/);
  });
});
