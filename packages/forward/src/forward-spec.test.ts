import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ForwardSpecError, formatForwardSpec, listenAddress, parseConfigForward, parseForwardSpec } from './forward-spec.js';

describe('forward specs (-L, -R, LocalForward, RemoteForward)', () => {
  it('reads ssh forms: three fields bind to localhost, four name the bind address, brackets hold IPv6', () => {
    expect(parseForwardSpec('local', '8080:localhost:80')).toEqual({ direction: 'local', bindHost: 'localhost', bindPort: 8080, host: 'localhost', hostPort: 80 });
    expect(parseForwardSpec('remote', '0.0.0.0:2222:db.internal:5432')).toEqual({ direction: 'remote', bindHost: '0.0.0.0', bindPort: 2222, host: 'db.internal', hostPort: 5432 });
    expect(parseForwardSpec('local', '[::1]:8080:[fe80::1]:80')).toMatchObject({ bindHost: '::1', host: 'fe80::1' });
    expect(parseForwardSpec('local', ':8080:h:80').bindHost).toBe('*');
    expect(parseForwardSpec('local', '*:8080:h:80').bindHost).toBe('*');
    expect(parseConfigForward('local', '  9000   127.0.0.1:9001 ')).toMatchObject({ bindPort: 9000, host: '127.0.0.1', hostPort: 9001 });
  });

  it('refuses what it cannot do in one line that shows the right form', () => {
    const cases: Array<[string, RegExp]> = [
      ['80:localhost', /expected three or four fields/],
      ['8080', /expected three or four fields/],
      ['a:b:c:d:e', /too many fields/],
      ['99999:h:80', /listening port 99999 is outside 1\.\.65535/],
      ['80:h:http', /destination port "http" is not a port number/],
      ['80::80', /destination host is empty/],
      ['/tmp/sock:/tmp/other', /UNIX sockets is not supported/],
      ['[::1:80:h:80', /unclosed \[/],
    ];
    for (const [text, problem] of cases) {
      let error: unknown;
      try {
        parseForwardSpec('local', text);
      } catch (caught) {
        error = caught;
      }
      expect(error, text).toBeInstanceOf(ForwardSpecError);
      expect((error as Error).message).toMatch(problem);
      expect((error as Error).message).toContain('-L [bind_address:]port:host:hostport');
      expect((error as Error).message).not.toContain('\n');
    }
    expect(() => parseForwardSpec('remote', '8080')).toThrow(/dynamic \(SOCKS\) forwarding is not supported/);
  });

  it('formats a spec so that it parses back to itself', () => {
    const host = fc.oneof(fc.constantFrom('localhost', '127.0.0.1', '::1', 'fe80::2', 'example.org'));
    const port = fc.integer({ min: 1, max: 65535 });
    fc.assert(
      fc.property(fc.constantFrom('local' as const, 'remote' as const), host, port, host, port, (direction, bindHost, bindPort, target, hostPort) => {
        const spec = { direction, bindHost, bindPort, host: target, hostPort };
        expect(parseForwardSpec(direction, formatForwardSpec(spec).slice(3))).toEqual(spec);
      }),
    );
  });

  it('listens on the loopback for localhost and everywhere for *', () => {
    expect(listenAddress('localhost')).toBe('127.0.0.1');
    expect(listenAddress('*')).toBeUndefined();
    expect(listenAddress('192.0.2.1')).toBe('192.0.2.1');
  });
});
