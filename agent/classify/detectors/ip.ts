/**
 * IP addresses that can point at a subscriber: public IPv4 and global-unicast IPv6.
 *
 * IPv4: four dotted decimal octets 0–255, not inside a longer dotted or alphanumeric run
 * (`1.2.3.4.5`, `build1.2.3.4`). Left out as not a person's: the special-purpose blocks of RFC 6890
 * (private 10/8, 172.16/12, 192.168/16; loopback; link-local; shared CGNAT 100.64/10 — one address
 * for many subscribers; documentation nets of RFC 5737; multicast and reserved 224/3), and version
 * strings: a quad after `v`, `ver`, `version` or `版本`, or whose four octets are all one digit
 * (`3.1.2.4`: section numbers, versions — and 1.1.1.1 or 8.8.8.8, public resolvers, no one's).
 * IPv6 (RFC 4291 §2.2, the three text forms, `::` compression and a trailing dotted quad): only
 * global unicast 2000::/3, without the documentation prefix 2001:db8::/32 (RFC 3849). Times
 * (`12:30:45`) and MAC addresses (six groups) do not parse as eight groups.
 */
import { eachMatch } from './context.js';

const V4 = /(?<![0-9A-Za-z.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![0-9A-Za-z]|\.\d)/g;
const VERSION_BEFORE = /(?:(?:^|[^a-z])(?:v|ver\.?|version)|版本号?)\s*[:：]?\s*$/i;
const V6 = /(?<![0-9A-Za-z:.])[0-9A-Fa-f:.]{3,45}(?![0-9A-Za-z:.])/g;
const HEX_GROUP = /^[0-9a-f]{1,4}$/;

/** Every public IPv4 address inside `text`, as written without leading zeros. */
export function findIpv4(text: string): string[] {
  const out: string[] = [];
  eachMatch(V4, text, (m) => {
    const o = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as [number, number, number, number];
    if (o.some((x) => x > 255) || o.every((x, i) => x < 10 && (m[i + 1] as string).length === 1)) return;
    if (VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 12), m.index))) return;
    if (!publicV4(o)) return;
    out.push(o.join('.'));
  });
  return out;
}

/** False for the special-purpose blocks that point at no subscriber (RFC 6890, RFC 5737, RFC 6598). */
export function publicV4([a, b, c]: readonly [number, number, number, number]): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && (b === 168 || (b === 0 && (c === 0 || c === 2)))) return false;
  if (a === 198 && (b === 18 || b === 19 || (b === 51 && c === 100))) return false;
  if (a === 203 && b === 0 && c === 113) return false;
  return true;
}

/** Every global-unicast IPv6 address inside `text`, lower-cased as written. */
export function findIpv6(text: string): string[] {
  const out: string[] = [];
  eachMatch(V6, text, (m) => {
    const candidate = m[0].replace(/\.+$/, '').toLowerCase();
    const groups = parseIpv6(candidate);
    if (!groups) return;
    const [g0, g1] = groups as [number, number];
    if ((g0 & 0xe000) !== 0x2000 || (g0 === 0x2001 && g1 === 0x0db8)) return;
    out.push(candidate);
  });
  return out;
}

/** The eight 16-bit groups of an IPv6 text address (RFC 4291 §2.2), or undefined. */
export function parseIpv6(s: string): number[] | undefined {
  let text = s;
  // A trailing dotted quad (::ffff:192.0.2.1) stands for the last two groups.
  if (text.includes('.')) {
    const colon = text.lastIndexOf(':');
    const quad = text.slice(colon + 1).split('.');
    if (colon < 0 || quad.length !== 4 || quad.some((q) => !/^\d{1,3}$/.test(q) || Number(q) > 255)) return undefined;
    const [a, b, c, d] = quad.map(Number) as [number, number, number, number];
    text = `${text.slice(0, colon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): number[] | undefined => {
    if (!part) return [];
    const groups = part.split(':');
    return groups.every((g) => HEX_GROUP.test(g)) ? groups.map((g) => parseInt(g, 16)) : undefined;
  };
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  if (!head || !rest) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  // `::` stands for at least one group of zeros.
  if (head.length + rest.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
}
