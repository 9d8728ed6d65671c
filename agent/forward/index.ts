/**
 * forward: an allowed transfer → the upstream, and the upstream's response back.
 * In: the route's upstream, the request path and query, filtered headers, the buffered body or
 * its spool file (streamed, with content-length).
 * Out: status, headers and the response body as a stream (never buffered here).
 * Never: run before the decision and its evidence record; pass hop-by-hop headers either way.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Agent, errors, request } from 'undici';
import { XbError } from '../errors.js';
import type { SpooledBody } from '../types.js';

export interface ForwardOptions {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Readable;
}

export interface Forwarder {
  forward(upstream: URL, pathAndQuery: string, method: string, headers: Record<string, string | string[] | undefined>, body: Buffer | SpooledBody): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

// RFC 9110 §7.6.1 hop-by-hop fields, plus those a proxy must not pass on as they are.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'expect',
]);

/**
 * Headers minus hop-by-hop ones and those the Connection header names. A request's
 * content-length is dropped (undici sets it from the body); a response's is kept, since its body
 * is streamed through unchanged.
 */
export function endToEndHeaders(headers: Record<string, string | string[] | undefined>, keepLength = false): Record<string, string | string[]> {
  const named = new Set(
    String(headers['connection'] ?? '')
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

/** `https://x/api` + `v1/orders?a=1` → `https://x/api/v1/orders?a=1`. */
export function upstreamUrl(upstream: URL, pathAndQuery: string): URL {
  const base = upstream.href.endsWith('/') ? upstream.href : `${upstream.href}/`;
  return new URL(pathAndQuery.replace(/^\/+/, ''), base);
}

export function createForwarder(opts: ForwardOptions): Forwarder {
  const dispatcher = new Agent({
    connect: { timeout: opts.connectTimeoutMs },
    headersTimeout: opts.headersTimeoutMs,
    bodyTimeout: opts.bodyTimeoutMs,
  });
  return {
    async forward(upstream, pathAndQuery, method, headers, body) {
      const url = upstreamUrl(upstream, pathAndQuery);
      try {
        // A spooled body is streamed from its file, with its length: the bytes as received.
        const spooled = Buffer.isBuffer(body) ? undefined : body;
        const res = await request(url, {
          method: method as 'POST',
          headers: spooled ? { ...endToEndHeaders(headers), 'content-length': String(spooled.size) } : endToEndHeaders(headers),
          body: spooled ? createReadStream(spooled.file, { highWaterMark: 1024 * 1024 }) : (body as Buffer),
          dispatcher,
        });
        return { status: res.statusCode, headers: endToEndHeaders(res.headers, true), body: res.body };
      } catch (err) {
        if (err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError || err instanceof errors.ConnectTimeoutError) {
          throw new XbError('XB_UPSTREAM_TIMEOUT', `upstream ${url.origin} did not answer in time (${(err as Error).name})`);
        }
        throw new XbError('XB_UPSTREAM_UNREACHABLE', `upstream ${url.origin} could not be reached: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    },
    close: () => dispatcher.close(),
  };
}
