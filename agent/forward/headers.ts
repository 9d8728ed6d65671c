/**
 * Header hygiene between the client and the overseas upstream: hop-by-hop fields never cross the
 * gateway (either way), and the headers that carry internal addresses and identities
 * (`x-forwarded-*`, `forwarded`, `x-real-ip`, `via`, …) are stripped, passed or appended to as the
 * route says (`routes[].forwardedHeaders`, default `strip`: a cross-border call must not tell the
 * recipient the company's internal network).
 */

export type ForwardedMode = 'strip' | 'pass' | 'append';
export type HeaderMap = Record<string, string | string[] | undefined>;

// RFC 9110 §7.6.1 hop-by-hop fields, plus those a proxy must not pass on as they are.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'expect',
]);

/** Fields that name the client or the proxies on the way: internal addresses and host names. */
export const FORWARDING_HEADERS = [
  'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-server',
  'x-real-ip', 'x-client-ip', 'true-client-ip', 'x-original-forwarded-for', 'via',
] as const;
const FORWARDING = new Set<string>(FORWARDING_HEADERS);

/**
 * Headers minus hop-by-hop ones and those the Connection header names. A request's
 * content-length is dropped (undici sets it from the body); a response's is kept, since its body
 * is streamed through unchanged.
 */
export function endToEndHeaders(headers: HeaderMap, keepLength = false): Record<string, string | string[]> {
  const named = new Set(
    Object.entries(headers)
      .filter(([k]) => k.toLowerCase() === 'connection')
      .flatMap(([, v]) => v ?? [])
      .join(',')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    if (v === undefined || HOP_BY_HOP.has(name) || named.has(name) || (name === 'content-length' && !keepLength)) continue;
    out[name] = v;
  }
  return out;
}

/**
 * The request headers the upstream gets: end-to-end only, then the forwarding headers per `mode`.
 * `append` adds the client's address to `x-forwarded-for` (the de-facto list form); `via` is never
 * added: it would name the gateway.
 */
export function upstreamRequestHeaders(headers: HeaderMap, mode: ForwardedMode, clientAddress: string | undefined): Record<string, string | string[]> {
  const out = endToEndHeaders(headers);
  if (mode === 'pass') return out;
  if (mode === 'strip') {
    for (const name of Object.keys(out)) if (FORWARDING.has(name)) delete out[name];
    return out;
  }
  if (clientAddress) {
    const prior = [out['x-forwarded-for'] ?? []].flat().join(', ');
    out['x-forwarded-for'] = prior ? `${prior}, ${clientAddress}` : clientAddress;
  }
  return out;
}
