/**
 * Forward-proxy matching: which route (if any) covers a requested host and path, and which hosts
 * are passthrough (trusted by config, not inspected) or tunnel-only (pin certificates: never
 * intercepted). In: canonical hosts (host.ts) and the snapshot's routes. Out: a `Match`.
 * Never: resolve or locate a host (jurisdiction.ts), or let one host be both routed and passthrough.
 */
import { canonicalHost, type CanonicalHost } from './host.js';

/** `api.example.com` (that host) or `*.example.com` (any name under it, not the apex itself). */
export interface HostPattern {
  readonly name: string;
  readonly wildcard: boolean;
}

export interface RouteMatchConfig {
  /** Canonical host patterns, as `hostPattern()` reads them. */
  readonly hosts: readonly string[];
  /** `/` or a path the request's path must equal or continue with a `/` (`/v2` covers `/v2/x`, not `/v2x`). */
  readonly pathPrefix: string;
}

export type Match =
  | { readonly kind: 'route'; readonly routeId: string }
  /** The host belongs to a route, but no route's path prefix covers this path. */
  | { readonly kind: 'path-not-routed'; readonly routeIds: readonly string[] }
  /** Several routes cover it equally (routes left on their default match, sharing an upstream). */
  | { readonly kind: 'ambiguous'; readonly routeIds: readonly string[] }
  | { readonly kind: 'passthrough' }
  | { readonly kind: 'unmatched' };

/** A host pattern as written in config; undefined: not a host (or a wildcard over an IP). */
export function hostPattern(input: string): HostPattern | undefined {
  const wildcard = input.trim().startsWith('*.');
  const host = canonicalHost(wildcard ? input.trim().slice(2) : input);
  if (!host || (wildcard && host.kind !== 'dns')) return undefined;
  return { name: host.name, wildcard };
}

export const patternText = (p: HostPattern): string => (p.wildcard ? `*.${p.name}` : p.name);

/** Whether the pattern covers the host; exact patterns only name their own host. */
export function hostMatches(p: HostPattern, host: CanonicalHost): boolean {
  if (!p.wildcard) return p.name === host.name;
  return host.kind === 'dns' && host.name.endsWith(`.${p.name}`);
}

export function pathCovered(prefix: string, path: string): boolean {
  if (prefix === '/' || prefix === '') return true;
  if (prefix.endsWith('/')) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}

export interface ProxyRules {
  readonly routes: readonly { readonly routeId: string; readonly hosts: readonly HostPattern[]; readonly pathPrefix: string }[];
  readonly passthrough: readonly HostPattern[];
  readonly tunnelOnly: readonly HostPattern[];
}

/** Rules from the routes' matches and the proxy's host lists; patterns that do not parse are skipped (config/load.ts refuses them). */
export function compileRules(
  routes: Iterable<{ readonly id: string; readonly match: RouteMatchConfig }>,
  passthrough: readonly string[],
  tunnelOnly: readonly string[],
): ProxyRules {
  const patterns = (list: readonly string[]) => list.map(hostPattern).filter((p): p is HostPattern => p !== undefined);
  return {
    routes: [...routes].map((r) => ({ routeId: r.id, hosts: patterns(r.match.hosts), pathPrefix: r.match.pathPrefix })),
    passthrough: patterns(passthrough),
    tunnelOnly: patterns(tunnelOnly),
  };
}

/** Routes naming the host; an exact name beats a wildcard, so a wildcard route cannot take over a host given its own. */
export function routesForHost(rules: ProxyRules, host: CanonicalHost): ProxyRules['routes'] {
  const exact = rules.routes.filter((r) => r.hosts.some((p) => !p.wildcard && hostMatches(p, host)));
  if (exact.length > 0) return exact;
  // Among wildcards the longest suffix wins (*.eu.example.com over *.example.com).
  let best = -1;
  let found: ProxyRules['routes'][number][] = [];
  for (const r of rules.routes) {
    for (const p of r.hosts) {
      if (!p.wildcard || !hostMatches(p, host)) continue;
      if (p.name.length > best) {
        best = p.name.length;
        found = [r];
      } else if (p.name.length === best && !found.includes(r)) found.push(r);
    }
  }
  return found;
}

/** The route covering host and path: the longest path prefix among the routes naming the host. */
export function matchRequest(rules: ProxyRules, host: CanonicalHost, path: string): Match {
  const candidates = routesForHost(rules, host);
  if (candidates.length > 0) {
    const covering = candidates.filter((r) => pathCovered(r.pathPrefix, path)).sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
    const first = covering[0];
    if (!first) return { kind: 'path-not-routed', routeIds: candidates.map((r) => r.routeId) };
    const tied = covering.filter((r) => r.pathPrefix.length === first.pathPrefix.length);
    return tied.length === 1 ? { kind: 'route', routeId: first.routeId } : { kind: 'ambiguous', routeIds: tied.map((r) => r.routeId) };
  }
  if (rules.passthrough.some((p) => hostMatches(p, host))) return { kind: 'passthrough' };
  return { kind: 'unmatched' };
}

export const isTunnelOnly = (rules: ProxyRules, host: CanonicalHost): boolean => rules.tunnelOnly.some((p) => hostMatches(p, host));

export interface MatchIssue {
  /** Key path segments under the config root, for the line number. */
  readonly at: readonly (string | number)[];
  readonly message: string;
}

/**
 * A route's match with defaults: unset hosts → the upstream's host; unset prefix → the upstream's
 * base path (so `upstream: https://api.x.com/v2` covers proxied requests to api.x.com/v2/…).
 */
export function routeMatch(route: { readonly upstream: string; readonly match?: { readonly hosts?: readonly string[] | undefined; readonly pathPrefix?: string | undefined } | undefined }): RouteMatchConfig {
  let upstream: URL | undefined;
  try {
    upstream = new URL(route.upstream);
  } catch {
    upstream = undefined;
  }
  const hosts = route.match?.hosts ?? (upstream ? [upstream.hostname] : []);
  const base = upstream ? upstream.pathname.replace(/\/+$/, '') || '/' : '/';
  return {
    hosts: hosts.map((h) => { const p = hostPattern(h); return p ? patternText(p) : h; }),
    pathPrefix: route.match?.pathPrefix ?? base,
  };
}

/**
 * Config checks: every pattern parses, path prefixes start with `/`, no two routes claim the same
 * host and prefix, and no host is both routed and passthrough (which would it be?).
 */
export function checkMatchConfig(
  routes: readonly { readonly id: string; readonly upstream: string; readonly match?: { readonly hosts?: readonly string[] | undefined; readonly pathPrefix?: string | undefined } | undefined }[],
  passthrough: readonly string[],
  tunnelOnly: readonly string[],
): MatchIssue[] {
  const issues: MatchIssue[] = [];
  const claimed = new Map<string, string>();
  routes.forEach((r, i) => {
    const { hosts, pathPrefix: prefix } = routeMatch(r);
    if (!prefix.startsWith('/')) issues.push({ at: ['routes', i, 'match', 'pathPrefix'], message: `a path prefix starts with /: ${prefix}` });
    hosts.forEach((h, j) => {
      const p = hostPattern(h);
      if (!p) return issues.push({ at: ['routes', i, 'match', 'hosts', j], message: `not a host name, IP address or *.domain pattern: ${h}` });
      const key = `${patternText(p)} ${prefix}`;
      const other = claimed.get(key);
      // Routes left on the default match (their upstream) may share a host: the proxy answers those as ambiguous.
      if (other !== undefined && other !== r.id && r.match?.hosts) issues.push({ at: ['routes', i, 'match', 'hosts', j], message: `${patternText(p)} with path prefix ${prefix} is already matched by route ${other}` });
      claimed.set(key, r.id);
      const through = passthrough.find((t) => { const q = hostPattern(t); return q !== undefined && patternText(q) === patternText(p); });
      if (through !== undefined) issues.push({ at: r.match?.hosts ? ['routes', i, 'match', 'hosts', j] : ['routes', i, 'upstream'], message: `${patternText(p)} is also in proxy.passthrough: a host is either inspected by a route or passed through, not both` });
      return undefined;
    });
  });
  const listed = (list: readonly string[], key: string) =>
    list.forEach((h, j) => {
      if (!hostPattern(h)) issues.push({ at: ['proxy', key, j], message: `not a host name, IP address or *.domain pattern: ${h}` });
    });
  listed(passthrough, 'passthrough');
  listed(tunnelOnly, 'tunnelOnly');
  return issues;
}
