/**
 * forward: an allowed transfer → the upstream, and the upstream's response back.
 * In: the target URL (`upstreamUrl`, resolved once by the pipeline), the client's headers, the buffered body or
 * its spool file (streamed, with content-length), and the route's upstream settings (TLS,
 * timeouts, pool, retries, forwarding headers: settings.ts).
 * Out: status, headers and the response body as a stream (never buffered here), and how many
 * attempts it took.
 * Never: run before the decision and its evidence record; pass hop-by-hop headers either way;
 * retry a request that is not idempotent or whose bytes may have reached the upstream.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { buildConnector, errors, Pool, request, type Dispatcher } from 'undici';
import { DEFAULTS } from '../config/defaults.js';
import { XbError } from '../errors.js';
import type { SpooledBody } from '../types.js';
import { endToEndHeaders, upstreamRequestHeaders, type HeaderMap } from './headers.js';
import { loadUpstreamSettings, type UpstreamSettings } from './settings.js';

export { endToEndHeaders } from './headers.js';
export type { UpstreamSettings } from './settings.js';

/** Settings for calls that name none (the config's global `upstream` keys). */
export interface ForwardOptions {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Readable;
  /** 1, or more when an unsent idempotent request was tried again (absent: 1). */
  readonly attempts?: number;
}

export interface ForwardCall {
  /** The route's settings; default: the global `upstream` timeouts, Node's trust store, strip. */
  readonly settings?: UpstreamSettings | undefined;
  /** The client's address, for `forwardedHeaders: append`. */
  readonly clientAddress?: string | undefined;
}

export interface Forwarder {
  forward(url: URL, method: string, headers: HeaderMap, body: Buffer | SpooledBody, call?: ForwardCall): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

/** RFC 9110 §9.2.2: methods a client may repeat with the same effect. POST and PATCH are not. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
/** Set on errors raised while connecting: not one byte of the request was written. */
const UNSENT = Symbol('xborder.unsent');
/** The upstream's certificate is not accepted here (untrusted, expired, wrong name): trying again cannot help. */
const CERT_REJECTED = /^(ERR_TLS_CERT|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_|HOSTNAME_MISMATCH)/;
/** The upstream refused the TLS session (a TLS alert: e.g. no or an unknown client certificate). */
const TLS_REFUSED = /^ERR_SSL_/;

/**
 * `https://x/api` + `/v1/orders?a=1` → `https://x/api/v1/orders?a=1`. The result must stay under
 * the upstream's origin and base path: `/http://elsewhere/`, `/\\elsewhere`, `//elsewhere` or
 * `/../..` after a route id would otherwise send a transfer decided for this route's recipient to
 * another host or API (XB_ROUTE_PATH_INVALID, refused before a transfer exists).
 */
export function upstreamUrl(upstream: URL, pathAndQuery: string): URL {
  // Forward-proxy mode (agent/proxy/) names the client's requested URL in full, its host matched to
  // the route already: sent there as is. Route mode's path always starts with `/` or `?`.
  if (/^https?:\/\//.test(pathAndQuery)) return new URL(pathAndQuery);
  const base = upstream.href.endsWith('/') ? upstream.href : `${upstream.href}/`;
  const basePath = new URL(base).pathname;
  let url: URL | undefined;
  try {
    url = new URL(pathAndQuery.replace(/^\/+/, ''), base);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.origin !== upstream.origin || !`${url.pathname}/`.startsWith(basePath)) {
    throw new XbError('XB_ROUTE_PATH_INVALID', `the path after the route id must stay under the route's upstream ${upstream.origin}${basePath}; it resolves elsewhere (a URL, \\, // or ..)`);
  }
  return url;
}

const DEFAULT_POOL = DEFAULTS.route.pool;
const CLOSE_GRACE_MS = 1_000;
/** A pool no transfer used for this long is closed (settings replaced by a reload, a route removed). */
const IDLE_POOL_MS = 10 * 60_000;

export function createForwarder(opts: ForwardOptions): Forwarder {
  const fallback = loadUpstreamSettings({
    upstreamTls: undefined,
    timeouts: { connectMs: opts.connectTimeoutMs, headersMs: opts.headersTimeoutMs, bodyMs: opts.bodyTimeoutMs },
    pool: DEFAULT_POOL,
    retries: 1,
    forwardedHeaders: 'strip',
  });
  if ('issue' in fallback) throw new Error(fallback.issue.message); // no files: cannot happen
  // One keep-alive pool per origin and settings. A reload with new settings gets new pools; an old
  // one is closed once unused for IDLE_POOL_MS (close() lets requests still on it finish).
  const pools = new Map<string, Pool>();
  const lastUsed = new Map<string, number>();
  let swept = Date.now();
  const sweep = (now: number) => {
    if (now - swept < IDLE_POOL_MS / 10) return;
    swept = now;
    for (const [id, at] of lastUsed) {
      if (now - at < IDLE_POOL_MS) continue;
      void pools.get(id)?.close().catch(() => undefined);
      pools.delete(id);
      lastUsed.delete(id);
    }
  };
  const poolFor = (origin: string, s: UpstreamSettings): Dispatcher => {
    const id = `${origin} ${s.key}`;
    const now = Date.now();
    lastUsed.set(id, now);
    sweep(now);
    let pool = pools.get(id);
    if (!pool) {
      pool = new Pool(origin, {
        connections: s.pool.connections,
        keepAliveTimeout: s.pool.keepAliveTimeoutMs,
        // An upstream's own `Keep-Alive: timeout=` hint may shorten the idle time, never lengthen it.
        keepAliveMaxTimeout: s.pool.keepAliveTimeoutMs,
        headersTimeout: s.timeouts.headersMs,
        bodyTimeout: s.timeouts.bodyMs,
        connect: connector(s),
      });
      pools.set(id, pool);
    }
    return pool;
  };

  return {
    async forward(url, method, headers, body, call = {}) {
      const s = call.settings ?? fallback.settings;
      const dispatcher = poolFor(url.origin, s);
      const sent = upstreamRequestHeaders(headers, s.forwardedHeaders, call.clientAddress);
      const spooled = Buffer.isBuffer(body) ? undefined : body;
      if (spooled) sent['content-length'] = String(spooled.size);
      const maxAttempts = IDEMPOTENT.has(method.toUpperCase()) ? 1 + s.retries : 1;
      for (let attempt = 1; ; attempt++) {
        // A spooled body is streamed from its file, with its length: the bytes as received.
        const stream = spooled ? createReadStream(spooled.file, { highWaterMark: 1024 * 1024 }) : undefined;
        try {
          const res = await request(url, { method: method as 'POST', headers: sent, body: stream ?? (body as Buffer), dispatcher });
          return { status: res.statusCode, headers: endToEndHeaders(res.headers, true), body: res.body, attempts: attempt };
        } catch (err) {
          stream?.destroy();
          if (attempt < maxAttempts && unsent(err)) continue;
          throw upstreamError(err, url, attempt);
        }
      }
    },
    // Called after the data plane drained: requests still running get CLOSE_GRACE_MS, then are cut
    // (their transfers fail XB_UPSTREAM_UNREACHABLE) so a stop stays bounded.
    close: async () => {
      const all = [...pools.values()];
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'cut'>((resolve) => (timer = setTimeout(() => resolve('cut'), CLOSE_GRACE_MS)));
      const closed = await Promise.race([Promise.all(all.map((p) => p.close())), grace]);
      clearTimeout(timer);
      if (closed === 'cut') await Promise.all(all.map((p) => p.destroy(new Error('xborder is stopping')).catch(() => undefined)));
    },
  };
}

/** undici's connector with the route's TLS settings; its failures are marked as unsent. */
function connector(s: UpstreamSettings): buildConnector.connector {
  const base = buildConnector({
    timeout: s.timeouts.connectMs,
    ...(s.tls?.ca ? { ca: s.tls.ca } : {}),
    ...(s.tls?.cert ? { cert: s.tls.cert } : {}),
    ...(s.tls?.key ? { key: s.tls.key } : {}),
    ...(s.tls?.servername ? { servername: s.tls.servername } : {}),
  });
  return (options, callback) => {
    // A fixed servername wins over the one undici derives from the host.
    const o = s.tls?.servername ? { ...options, servername: s.tls.servername } : options;
    base(o, (...args) => {
      const [err] = args;
      if (err) (err as Error & { [UNSENT]?: boolean })[UNSENT] = true;
      callback(...args);
    });
  };
}

/**
 * Were none of the request's bytes written? True for a failure while connecting (refused, reset
 * in the TLS handshake, connect timeout), and for a socket error on a connection that had written
 * nothing at all. Never for a certificate the upstream presented that we reject.
 */
function unsent(err: unknown): boolean {
  const e = err as Error & { [UNSENT]?: boolean; code?: string; socket?: { bytesWritten?: number } };
  if (typeof e.code === 'string' && (CERT_REJECTED.test(e.code) || TLS_REFUSED.test(e.code))) return false;
  if (e[UNSENT]) return true;
  return e instanceof errors.SocketError && e.socket?.bytesWritten === 0;
}

function upstreamError(err: unknown, url: URL, attempts: number): XbError {
  const e = err as NodeJS.ErrnoException;
  const details = { attempts };
  if (err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError || err instanceof errors.ConnectTimeoutError) {
    return new XbError('XB_UPSTREAM_TIMEOUT', `upstream ${url.origin} did not answer in time (${e.name}); attempts: ${attempts}`, details);
  }
  if (typeof e.code === 'string' && CERT_REJECTED.test(e.code)) {
    return new XbError('XB_UPSTREAM_UNREACHABLE', `upstream ${url.origin} presented a certificate that is not accepted: ${e.code} (routes[].upstreamTls.ca, servername)`, details);
  }
  if (typeof e.code === 'string' && TLS_REFUSED.test(e.code)) {
    return new XbError('XB_UPSTREAM_UNREACHABLE', `upstream ${url.origin} refused the TLS session: ${e.code} (routes[].upstreamTls.cert, key)`, details);
  }
  // undici's own codes say little by themselves (UND_ERR_SOCKET): add its message (no request data in it).
  const why = e.code === undefined ? e.message : e.code.startsWith('UND_') ? `${e.code} (${e.message.slice(0, 120)})` : e.code;
  return new XbError('XB_UPSTREAM_UNREACHABLE', `upstream ${url.origin} could not be reached: ${why}; attempts: ${attempts}`, details);
}
