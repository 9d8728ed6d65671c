import { describe, expect, it } from 'vitest';
import { canonicalHost, parseAuthority } from '../../../agent/proxy/host.js';
import { compileRules, hostPattern, matchRequest } from '../../../agent/proxy/match.js';

describe('canonicalHost: one spelling per host', () => {
  it.each([
    ['API.Example.COM', 'api.example.com', 'dns'],
    ['api.example.com.', 'api.example.com', 'dns'],
    ['bücher.example', 'xn--bcher-kva.example', 'dns'],
    ['XN--BCHER-KVA.example', 'xn--bcher-kva.example', 'dns'],
    ['127.0.0.1', '127.0.0.1', 'ipv4'],
    ['2130706433', '127.0.0.1', 'ipv4'],
    ['0x7f.1', '127.0.0.1', 'ipv4'],
    ['017700000001', '127.0.0.1', 'ipv4'],
    ['[2001:DB8:0:0:0:0:0:1]', '2001:db8::1', 'ipv6'],
    ['2001:db8::1', '2001:db8::1', 'ipv6'],
    ['[::ffff:8.8.8.8]', '8.8.8.8', 'ipv4'],
  ])('%s → %s', (input, name, kind) => {
    expect(canonicalHost(input)).toEqual({ name, kind });
  });

  it.each(['', 'a b', 'user@host', 'host/path', 'host:80', '..', 'a..b', '[::1', '-bad-.com'])('refuses %j', (input) => {
    expect(canonicalHost(input)).toBeUndefined();
  });
});

describe('parseAuthority', () => {
  it('reads host:port with IPv6 in brackets, and defaults the port only when told', () => {
    expect(parseAuthority('Example.com.:443', undefined)).toEqual({ host: { name: 'example.com', kind: 'dns' }, port: 443 });
    expect(parseAuthority('[::1]:8443', undefined)).toEqual({ host: { name: '::1', kind: 'ipv6' }, port: 8443 });
    expect(parseAuthority('example.com', 80)).toEqual({ host: { name: 'example.com', kind: 'dns' }, port: 80 });
    expect(parseAuthority('example.com', undefined)).toBeUndefined();
    expect(parseAuthority('example.com:0', undefined)).toBeUndefined();
    expect(parseAuthority('example.com:99999', undefined)).toBeUndefined();
    expect(parseAuthority('[::1]x:443', undefined)).toBeUndefined();
  });
});

describe('matching a canonical host to routes', () => {
  const rules = compileRules(
    [
      { id: 'orders', match: { hosts: ['API.partner.com.'], pathPrefix: '/v2' } },
      { id: 'files', match: { hosts: ['*.partner.com'], pathPrefix: '/' } },
      { id: 'twin-a', match: { hosts: ['twin.example'], pathPrefix: '/' } },
      { id: 'twin-b', match: { hosts: ['twin.example'], pathPrefix: '/' } },
    ],
    ['cdn.example.net'],
    [],
  );
  const host = (h: string) => canonicalHost(h)!;
  it('an exact host beats a wildcard; the path prefix ends at a segment', () => {
    expect(matchRequest(rules, host('api.partner.com'), '/v2/orders')).toEqual({ kind: 'route', routeId: 'orders' });
    expect(matchRequest(rules, host('api.partner.com'), '/v2')).toEqual({ kind: 'route', routeId: 'orders' });
    expect(matchRequest(rules, host('api.partner.com'), '/v2x')).toEqual({ kind: 'path-not-routed', routeIds: ['orders'] });
    expect(matchRequest(rules, host('eu.partner.com'), '/anything')).toEqual({ kind: 'route', routeId: 'files' });
    expect(matchRequest(rules, host('partner.com'), '/')).toEqual({ kind: 'unmatched' });
  });
  it('passthrough, unmatched and ambiguous hosts', () => {
    expect(matchRequest(rules, host('CDN.example.net.'), '/x')).toEqual({ kind: 'passthrough' });
    expect(matchRequest(rules, host('other.example'), '/x')).toEqual({ kind: 'unmatched' });
    expect(matchRequest(rules, host('twin.example'), '/x')).toEqual({ kind: 'ambiguous', routeIds: ['twin-a', 'twin-b'] });
  });
  it('a wildcard never covers an IP address', () => {
    expect(hostPattern('*.10.0.0.1')).toBeUndefined();
  });
});
