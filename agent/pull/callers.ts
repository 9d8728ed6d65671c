/**
 * Who is pulling: a pull route's callers compiled from config (keys read once, kept only as their
 * SHA-256; networks as a BlockList), and the caller of one request, from its API key header and
 * its source address. The caller is the transfer's recipient: counted, decided and recorded as such.
 * Never: log or echo a key or a source address; compare keys other than by their digests.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { XbError } from '../errors.js';
import type { RawCaller } from './schema.js';

export interface CallerRuntime {
  readonly name: string;
  readonly country: string;
  /** SHA-256 of the caller's API key; undefined: identified by network only. */
  readonly keySha256: Buffer | undefined;
  /** Source networks; undefined: any source address (the key alone identifies). */
  readonly networks: BlockList | undefined;
}

export interface PullRuntime {
  /** Lower-case header name carrying the API key. */
  readonly header: string;
  readonly callers: readonly CallerRuntime[];
}

/** A problem with one caller's config, at a key path below `routes[i].callers[j]`. */
export interface CallerIssue {
  readonly key: readonly (string | number)[];
  readonly message: string;
}

/** `10.0.0.0/8`, `2001:db8::/32` or a single address → its parts; undefined if malformed. */
export function parseCidr(text: string): { address: string; prefix: number; type: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', bits, extra] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { address, prefix, type: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Structural checks of one caller (config/load.ts reports them with file and line). */
export function checkCaller(c: RawCaller): CallerIssue[] {
  const issues: CallerIssue[] = [];
  if (c.apiKey === undefined && c.apiKeySha256 === undefined && c.networks === undefined)
    issues.push({ key: ['name'], message: 'a caller needs apiKey, apiKeySha256 or networks to be recognised by' });
  if (c.apiKey !== undefined && c.apiKeySha256 !== undefined) issues.push({ key: ['apiKeySha256'], message: 'give apiKey or apiKeySha256, not both' });
  if (c.apiKey && (c.apiKey.file === undefined) === (c.apiKey.env === undefined)) issues.push({ key: ['apiKey'], message: 'give exactly one of file, env' });
  c.networks?.forEach((n, k) => {
    if (!parseCidr(n)) issues.push({ key: ['networks', k], message: `not an IPv4 or IPv6 network in CIDR form: ${n.slice(0, 64)}` });
  });
  return issues;
}

/** The callers of a route, keys read now (file or environment). Issues name the caller's key path. */
export function compileCallers(raw: readonly RawCaller[], header: string): { pull: PullRuntime; issues: CallerIssue[] } {
  const issues: CallerIssue[] = [];
  const callers = raw.map((c, j): CallerRuntime => {
    let keySha256: Buffer | undefined;
    if (c.apiKeySha256) keySha256 = Buffer.from(c.apiKeySha256, 'hex');
    else if (c.apiKey) {
      const key = readKey(c.apiKey);
      if ('issue' in key) issues.push({ key: [j, 'apiKey'], message: key.issue });
      else keySha256 = sha256(key.value);
    }
    let networks: BlockList | undefined;
    if (c.networks) {
      networks = new BlockList();
      for (const n of c.networks) {
        const cidr = parseCidr(n);
        if (cidr) networks.addSubnet(cidr.address, cidr.prefix, cidr.type);
      }
    }
    return { name: c.name, country: c.country, keySha256, networks };
  });
  const digests = callers.flatMap((c) => (c.keySha256 ? [c.keySha256.toString('hex')] : []));
  if (new Set(digests).size !== digests.length) issues.push({ key: [], message: 'two callers have the same API key' });
  return { pull: { header: header.toLowerCase(), callers }, issues };
}

function readKey(src: NonNullable<RawCaller['apiKey']>): { value: string } | { issue: string } {
  if (src.file) {
    try {
      const value = readFileSync(src.file, 'utf8').trim();
      return value ? { value } : { issue: `API key file ${src.file} is empty` };
    } catch (err) {
      return { issue: `API key file ${src.file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
  }
  const value = src.env ? process.env[src.env]?.trim() : undefined;
  return value ? { value } : { issue: `environment variable ${src.env ?? '(none)'} holding the API key is not set` };
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) → `10.1.2.3`. */
function sourceAddress(remote: string | undefined): { address: string; type: 'ipv4' | 'ipv6' } | undefined {
  if (!remote) return undefined;
  const address = remote.startsWith('::ffff:') && isIP(remote.slice(7)) === 4 ? remote.slice(7) : remote;
  const v = isIP(address);
  return v === 0 ? undefined : { address, type: v === 4 ? 'ipv4' : 'ipv6' };
}

const inNetworks = (c: CallerRuntime, src: ReturnType<typeof sourceAddress>): boolean =>
  c.networks === undefined || (src !== undefined && c.networks.check(src.address, src.type));

/**
 * The caller of a request on route `routeId`. With an API key: the caller whose key it is, if the
 * source address is within that caller's networks (403 otherwise). Without one: the first caller
 * identified by network alone whose networks hold the source address (401 if none).
 */
export function identifyCaller(routeId: string, pull: PullRuntime, headers: Record<string, string | string[] | undefined>, remote: string | undefined): CallerRuntime {
  const given = headers[pull.header];
  const key = Array.isArray(given) ? given[0] : given;
  const src = sourceAddress(remote);
  if (key !== undefined && key !== '') {
    const digest = sha256(key);
    // Every digest compared, in constant time each: which caller matched leaks no timing.
    let found: CallerRuntime | undefined;
    for (const c of pull.callers) if (c.keySha256 && timingSafeEqual(c.keySha256, digest) && !found) found = c;
    if (!found) throw new XbError('XB_PULL_CALLER_FORBIDDEN', `route ${routeId}: the API key in header ${pull.header} belongs to no caller of this route`, { route: routeId });
    if (!inNetworks(found, src))
      throw new XbError('XB_PULL_CALLER_FORBIDDEN', `route ${routeId}: caller ${found.name} may pull only from its configured networks`, { route: routeId });
    return found;
  }
  const byNetwork = pull.callers.find((c) => c.keySha256 === undefined && c.networks !== undefined && inNetworks(c, src));
  if (byNetwork) return byNetwork;
  throw new XbError('XB_PULL_CALLER_UNKNOWN', `route ${routeId}: send the caller's API key in header ${pull.header}; the source address is not a network a caller is recognised by`, { route: routeId });
}
