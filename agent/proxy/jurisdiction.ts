/**
 * Destination jurisdiction of a host the proxy has no route for: resolved (DNS) and located with
 * an offline IP-to-country database (geoip-country: MaxMind GeoLite2 country data, shipped in the
 * npm package, IPv4 and IPv6; its data date is the package version's date). For data export,
 * Hong Kong, Macao and Taiwan are outside the mainland like any other country or region.
 * In: a canonical host. Out: `Located`. Never: decide alone (server.ts refuses an unmatched host
 * either way; the jurisdiction says whether the refusal stopped a cross-border transfer).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { createRequire } from 'node:module';
import type { CanonicalHost } from './host.js';

/** `internal`: loopback, private, link-local, CGNAT addresses: never abroad. */
export type Jurisdiction = 'mainland' | 'cross-border' | 'internal' | 'unknown';

export interface Located {
  readonly jurisdiction: Jurisdiction;
  /** ISO 3166-1 alpha-2 codes found for the host's addresses (CN, HK, US…), sorted. */
  readonly countries: readonly string[];
  /** Why the result is `unknown`, if it is: the name did not resolve, or no address is in the database. */
  readonly reason?: string;
}

export interface JurisdictionDb {
  /** The database: package and version. */
  readonly source: string;
  /** Date of its data, YYYY-MM-DD (shown in /api/status). */
  readonly dataDate: string | undefined;
  locate(host: CanonicalHost): Promise<Located>;
}

/** Mainland China only: CN in GeoLite2. HK, MO and TW have codes of their own and count as outside. */
const MAINLAND = 'CN';

const INTERNAL = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) INTERNAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::1', 128], ['::', 128], ['fc00::', 7], ['fe80::', 10]] as const) INTERNAL.addSubnet(net, bits, 'ipv6');

type Lookup = (ip: string) => { country?: string } | null;

/** Jurisdiction of a set of addresses: any address abroad makes the host cross-border (the conservative reading). */
export function jurisdictionOf(addresses: readonly string[], countryOf: (ip: string) => string | undefined): Located {
  const countries = new Set<string>();
  let internal = 0;
  for (const ip of addresses) {
    if (INTERNAL.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')) {
      internal++;
      continue;
    }
    const c = countryOf(ip);
    if (c) countries.add(c);
  }
  const list = [...countries].sort();
  if (list.some((c) => c !== MAINLAND)) return { jurisdiction: 'cross-border', countries: list };
  if (list.length > 0) return { jurisdiction: 'mainland', countries: list };
  if (addresses.length > 0 && internal === addresses.length) return { jurisdiction: 'internal', countries: [] };
  return { jurisdiction: 'unknown', countries: [], reason: 'no address of the host is in the database' };
}

export interface DbOptions {
  /** Longest wait for DNS, ms. */
  readonly resolveTimeoutMs: number;
}

/** Which database locates hosts and the date of its data, for /api/status (no data is loaded). */
export function jurisdictionDbInfo(): { source: string; dataDate: string | undefined } {
  const pkg = createRequire(import.meta.url)('geoip-country/package.json') as { version: string };
  return { source: `geoip-country@${pkg.version}`, dataDate: dataDate(pkg.version) };
}

/** The geoip-country database, loaded on first use (~8 MB, tens of ms). */
export function openJurisdictionDb(opts: DbOptions): JurisdictionDb {
  const require = createRequire(import.meta.url);
  const info = jurisdictionDbInfo();
  let geo: Lookup | undefined;
  const countryOf = (ip: string): string | undefined => {
    geo ??= (require('geoip-country') as { lookup: Lookup }).lookup;
    return geo(ip)?.country ?? undefined;
  };
  return {
    ...info,
    async locate(host) {
      if (host.kind !== 'dns') return jurisdictionOf([host.name], countryOf);
      let addresses: string[];
      try {
        addresses = await withTimeout(lookup(host.name, { all: true, verbatim: true }), opts.resolveTimeoutMs).then((a) => a.map((x) => x.address));
      } catch (err) {
        return { jurisdiction: 'unknown', countries: [], reason: `the name did not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
      }
      return jurisdictionOf(addresses, countryOf);
    },
  };
}

/** geoip-country versions are `5.0.YYYYMMDDhhmm`: the date its GeoLite2 data was built. */
export function dataDate(version: string): string | undefined {
  const m = /\.(\d{4})(\d{2})(\d{2})\d{4}$/.exec(version);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEOUT' })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
