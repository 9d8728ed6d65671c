/**
 * Host canonicalization for forward-proxy matching: one spelling per host, so that a route, a
 * passthrough entry and a request name the same host the same way whatever the client wrote.
 * In: a host as a client or the config writes it (Host header, absolute-form URL, CONNECT
 * authority, `routes[].match.hosts`). Out: `CanonicalHost` or undefined (not a host).
 * Never: resolve names (jurisdiction.ts does, for unmatched hosts only).
 */
import { isIP } from 'node:net';

export interface CanonicalHost {
  /** Lower case, no trailing dot, IDN as punycode (A-labels); IPv4 dotted quad; IPv6 compressed, no brackets. */
  readonly name: string;
  readonly kind: 'dns' | 'ipv4' | 'ipv6';
}

export interface Authority {
  readonly host: CanonicalHost;
  readonly port: number;
}

/**
 * The canonical form of a host, by the WHATWG URL host parser (the one clients such as undici and
 * browsers use): case folded, IDN → punycode, IPv4 in any form (`0x7f.1`, `2130706433`) → dotted
 * quad, IPv6 compressed. Then the trailing dot goes (`a.com.` is `a.com`) and an IPv4-mapped IPv6
 * address is its IPv4 address, so neither spelling slips past a rule. undefined: not a valid host.
 */
export function canonicalHost(input: string): CanonicalHost | undefined {
  let raw = input.trim();
  if (raw === '' || raw.length > 300) return undefined;
  // A bare IPv6 literal (config, or a CONNECT target some clients send unbracketed) gets brackets.
  if (!raw.startsWith('[') && isIP(raw) === 6) raw = `[${raw}]`;
  // Reject what the URL parser would read as something else than a lone host.
  if (/[/?#@\\\s]/.test(raw) || (!raw.startsWith('[') && raw.includes(':'))) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${raw}/`).hostname;
  } catch {
    return undefined;
  }
  if (hostname.startsWith('[')) {
    const v6 = hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
    if (mapped) {
      const hi = parseInt(mapped[1] ?? '0', 16);
      const lo = parseInt(mapped[2] ?? '0', 16);
      return { name: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, kind: 'ipv4' };
    }
    return { name: v6, kind: 'ipv6' };
  }
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name === '' || name.endsWith('.')) return undefined;
  if (isIP(name) === 4) return { name, kind: 'ipv4' };
  // A DNS name: LDH labels after punycode (`_` is allowed: service names such as _dmarc exist).
  if (!/^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/.test(name)) return undefined;
  return { name, kind: 'dns' };
}

/**
 * `host[:port]` as in a Host header or a CONNECT request (RFC 9110 §7.2, §9.3.6): IPv6 in brackets.
 * `defaultPort` applies when none is given (a CONNECT target must carry one: pass undefined).
 */
export function parseAuthority(input: string, defaultPort: number | undefined): Authority | undefined {
  const raw = input.trim();
  let hostPart = raw;
  let portPart: string | undefined;
  if (raw.startsWith('[')) {
    const end = raw.indexOf(']');
    if (end < 0) return undefined;
    hostPart = raw.slice(0, end + 1);
    const rest = raw.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      portPart = rest.slice(1);
    }
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon >= 0) {
      hostPart = raw.slice(0, colon);
      portPart = raw.slice(colon + 1);
    }
  }
  const port = portPart === undefined ? defaultPort : /^[0-9]{1,5}$/.test(portPart) ? Number(portPart) : undefined;
  if (port === undefined || port < 1 || port > 65535) return undefined;
  const host = canonicalHost(hostPart);
  return host ? { host, port } : undefined;
}

/** How a host is written in a URL or an authority: IPv6 in brackets. */
export const urlHost = (h: CanonicalHost): string => (h.kind === 'ipv6' ? `[${h.name}]` : h.name);
