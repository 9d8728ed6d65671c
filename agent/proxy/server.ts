/**
 * Forward-proxy mode: a listener for what clients with HTTP_PROXY / HTTPS_PROXY send.
 *  - `POST http://host/path` (absolute form): matched to a route by host and path prefix, decided
 *    by the same pipeline `handle` as route mode, forwarded to the requested URL.
 *  - `CONNECT host:port`: a routed host is intercepted (TLS terminated with a leaf from the company
 *    CA, each request inside decided like route mode, TLS re-originated and verified); a
 *    passthrough host is tunneled; any other host is refused, since a tunnel would be invisible.
 * Unmatched hosts get 403 whatever they are; the refusal says (body, log, metric) whether the host
 * is outside the mainland (jurisdiction.ts). Body-less requests (GET, HEAD…) to a routed host are
 * relayed uninspected: nothing leaves but the URL (pulls are issue 12's pull mode).
 * Never: forward a request body to a routed host without the pipeline's decision; tunnel to a
 * host a route covers; log a path, query or body (hosts and codes only).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { rm } from 'node:fs/promises';
import { XbError, toProblem, type Problem } from '../errors.js';
import type { Logger } from '../observability/log.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { TransferRequest, TransferResponse } from '../pipeline.js';
import type { PolicySnapshot, RouteRuntime } from '../policy/snapshot.js';
import { receiveBody, tooLarge, type SpoolOptions } from '../receive/spool.js';
import type { LeafCache } from './certs.js';
import { canonicalHost, parseAuthority, urlHost, type CanonicalHost } from './host.js';
import type { JurisdictionDb, Located } from './jurisdiction.js';
import { compileRules, isTunnelOnly, matchRequest, routesForHost, type ProxyRules } from './match.js';
import { relay, tunnel } from './relay.js';

export interface ProxyServerOptions {
  readonly snapshot: () => PolicySnapshot;
  readonly handle: (req: TransferRequest) => Promise<TransferResponse>;
  readonly passthrough: readonly string[];
  readonly tunnelOnly: readonly string[];
  readonly spool: SpoolOptions;
  /** Minted interception leaves; undefined (no `proxy.ca`): a CONNECT to a routed host is refused. */
  readonly leaves: LeafCache | undefined;
  readonly jurisdiction: JurisdictionDb;
  readonly log: Logger;
  readonly metrics: ProxyMetrics;
  /** Connect and response timeouts of tunnels and relays, ms (the global `upstream` ones). */
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  /** Where route mode listens, for refusal bodies that say where to send instead. */
  readonly dataUrl: () => string;
  /** Largest request line and headers, bytes (listen.data.maxHeaderBytes). */
  readonly maxHeaderBytes: number;
}

/** Methods whose body a route inspects; any other method carrying a body is inspected too. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

interface Tunnel {
  readonly host: CanonicalHost;
  readonly port: number;
  readonly scheme: 'http' | 'https';
}

/** The proxy's listener, and how many inspected or relayed requests it is answering (for the drain on stop). */
export type ProxyServer = Server & { inFlight(): number };

export function createProxyServer(opts: ProxyServerOptions): ProxyServer {
  // Rules per snapshot: a reload that changes routes' matches takes effect at once.
  const compiled = new WeakMap<PolicySnapshot, ProxyRules>();
  const rulesOf = (snapshot: PolicySnapshot): ProxyRules => {
    let r = compiled.get(snapshot);
    if (!r) {
      const routes = [...snapshot.routes.values()].flatMap((x) => (x.match ? [{ id: x.id, match: x.match }] : []));
      compiled.set(snapshot, (r = compileRules(routes, opts.passthrough, opts.tunnelOnly)));
    }
    return r;
  };
  const tunnels = new WeakMap<Socket, Tunnel>();
  let active = 0;
  /** Every request answered through `serve` is counted until its response is over, sent or cut. */
  const counted = (res: ServerResponse) => {
    active++;
    res.once('close', () => active--);
  };

  /** One request, whether it came in absolute form or inside an intercepted tunnel. */
  const serve = async (req: IncomingMessage, res: ServerResponse, target: URL, host: CanonicalHost, via: 'absolute' | 'intercepted') => {
    const snapshot = opts.snapshot();
    const m = matchRequest(rulesOf(snapshot), host, target.pathname);
    const method = req.method ?? 'GET';
    if (m.kind === 'route') {
      const route = snapshot.routes.get(m.routeId);
      if (!route) return refuse(res, via, new XbError('XB_PROXY_HOST_NOT_ROUTED', `route ${m.routeId} is gone`), 'routed');
      if (!BODY_METHODS.has(method) && !hasBody(req)) {
        // Nothing to inspect: forwarded with the route's TLS settings, logged, no evidence.
        opts.log.info({ via, host: host.name, method, route: route.id }, 'xborder.proxy_relayed');
        opts.metrics.handled(via, 'relayed');
        return relay(req, res, target, { tls: route.upstreamSettings?.tls, timeoutMs: opts.responseTimeoutMs }, (err) => upstreamFailed(res, target, err));
      }
      opts.metrics.handled(via, 'inspected');
      return inspect(req, res, target, route);
    }
    if (m.kind === 'path-not-routed' || m.kind === 'ambiguous') {
      const why = m.kind === 'ambiguous' ? `routes ${m.routeIds.join(', ')} all match it; give them routes[].match` : `routes ${m.routeIds.join(', ')} cover other paths of this host`;
      return refuse(res, via, new XbError('XB_PROXY_PATH_NOT_ROUTED', `${host.name}: no single route covers this path (${why}); it was not sent`, { host: host.name, routes: m.routeIds }), 'routed');
    }
    if (m.kind === 'passthrough') {
      opts.log.info({ via, host: host.name, port: Number(target.port) || undefined, method }, 'xborder.proxy_passthrough');
      opts.metrics.handled(via, 'passthrough');
      return relay(req, res, target, { timeoutMs: opts.responseTimeoutMs }, (err) => upstreamFailed(res, target, err));
    }
    const located = await opts.jurisdiction.locate(host);
    return refuse(res, via, unrouted(host, located, snapshot, 'request'), located.jurisdiction, located);
  };

  const inspect = async (req: IncomingMessage, res: ServerResponse, target: URL, route: RouteRuntime) => {
    let spoolFile: string | undefined;
    res.once('close', () => {
      if (spoolFile !== undefined) void rm(spoolFile, { force: true }).catch(() => undefined);
    });
    const limit = Math.min(opts.spool.spoolBytes, route.maxBodyBytes ?? Infinity);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return sendProblem(res, toProblem(tooLarge(limit), undefined));
    let body;
    try {
      body = await receiveBody(req, { ...opts.spool, spoolBytes: limit }, (f) => (spoolFile = f));
    } catch (err) {
      const e = err instanceof XbError ? err : new XbError('XB_PROXY_BAD_REQUEST', `the request body could not be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return sendProblem(res, toProblem(e, undefined));
    }
    const answer = await opts.handle({
      routeId: route.id,
      // Absolute: the forwarder sends it to the URL the client asked for (forward/ upstreamUrl).
      pathAndQuery: target.href,
      method: req.method ?? 'POST',
      headers: req.headers,
      body: { bytes: body.bytes ?? Buffer.alloc(0), contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'], spooled: body.spooled },
      remoteAddress: req.socket.remoteAddress,
    }).catch((err: unknown) => ({ kind: 'problem' as const, problem: toProblem(err instanceof XbError ? err : new XbError('XB_INTERNAL', String(err)), undefined), headers: {} as Record<string, string>, transferId: '' }));
    if (answer.kind === 'problem') return sendProblem(res, answer.problem, answer.headers);
    res.writeHead(answer.status, answer.headers);
    answer.body.pipe(res);
    answer.body.on('error', () => res.destroy());
  };

  const refuse = (res: ServerResponse, via: 'absolute' | 'intercepted', err: XbError, jurisdiction: string, located?: Located) => {
    logRefusal(opts.log, err, jurisdiction, located);
    opts.metrics.handled(via, 'refused');
    opts.metrics.refused(err.code, jurisdiction);
    sendProblem(res, toProblem(err, undefined));
  };

  const server = createServer({ requireHostHeader: false, maxHeaderSize: opts.maxHeaderBytes }, (req, res) => {
    const raw = req.url ?? '';
    if (raw.startsWith('/')) {
      return sendProblem(res, toProblem(new XbError('XB_PROXY_BAD_REQUEST', `this is the forward-proxy listener: send absolute-form requests (http://host/path) or CONNECT; route mode is ${opts.dataUrl()}/{routeId}/{path}`), undefined));
    }
    let target: URL;
    try {
      target = new URL(raw);
    } catch {
      return sendProblem(res, toProblem(new XbError('XB_PROXY_BAD_REQUEST', 'the request target is not a URL'), undefined));
    }
    const host = canonicalHost(target.hostname);
    if ((target.protocol !== 'http:' && target.protocol !== 'https:') || !host || target.username || target.password) {
      return sendProblem(res, toProblem(new XbError('XB_PROXY_BAD_REQUEST', `only http:// and https:// targets with a valid host and no userinfo are proxied (got ${target.protocol})`), undefined));
    }
    counted(res);
    void serve(req, res, target, host, 'absolute').catch((err: unknown) => fault(opts.log, res, err));
  });

  // Requests inside intercepted tunnels: origin-form, their authority is the CONNECT target.
  const inner = createServer({ requireHostHeader: false, maxHeaderSize: opts.maxHeaderBytes }, (req, res) => {
    const t = tunnels.get(req.socket);
    if (!t) return res.destroy();
    let target: URL;
    try {
      const path = (req.url ?? '/').startsWith('/') ? (req.url ?? '/') : new URL(req.url ?? '/').pathname;
      target = new URL(`${t.scheme}://${urlHost(t.host)}:${t.port}${path}`);
    } catch {
      return sendProblem(res, toProblem(new XbError('XB_PROXY_BAD_REQUEST', 'the request target is not a path'), undefined));
    }
    counted(res);
    void serve(req, res, target, t.host, 'intercepted').catch((err: unknown) => fault(opts.log, res, err));
  });
  inner.on('clientError', (_err, socket) => socket.destroy());

  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    void connectRequest(req, socket, head).catch((err: unknown) => {
      opts.log.error({ err: { message: (err as Error).message, stack: (err as Error).stack } }, 'xborder.fault');
      socket.destroy();
    });
  });

  const connectRequest = async (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const authority = parseAuthority(req.url ?? '', undefined);
    if (!authority) return rawProblem(socket, new XbError('XB_PROXY_BAD_REQUEST', 'CONNECT needs host:port'));
    const { host, port } = authority;
    const snapshot = opts.snapshot();
    const rules = rulesOf(snapshot);
    const routes = routesForHost(rules, host);
    const refuseConnect = (err: XbError, jurisdiction: string, located?: Located) => {
      logRefusal(opts.log, err, jurisdiction, located);
      opts.metrics.handled('connect', 'refused');
      opts.metrics.refused(err.code, jurisdiction);
      rawProblem(socket, err);
    };
    if (routes.length > 0) {
      const ids = routes.map((r) => r.routeId).join(', ');
      if (isTunnelOnly(rules, host)) {
        return refuseConnect(new XbError('XB_PROXY_TUNNEL_REFUSED', `${host.name} is tunnel-only (it pins certificates) and route ${ids} must inspect what goes to it: a tunnel would be invisible. Send through route mode: POST ${opts.dataUrl()}/${routes[0]?.routeId}/{path}`, { host: host.name, routes: routes.map((r) => r.routeId) }), 'routed');
      }
      if (!opts.leaves) {
        return refuseConnect(new XbError('XB_PROXY_TUNNEL_REFUSED', `${host.name} belongs to route ${ids}, and TLS interception is off (no proxy.ca): a tunnel would be invisible. Send through route mode: POST ${opts.dataUrl()}/${routes[0]?.routeId}/{path}`, { host: host.name, routes: routes.map((r) => r.routeId) }), 'routed');
      }
      return intercept(socket, head, host, port, opts.leaves);
    }
    if (rules.passthrough.length > 0 && matchRequest(rules, host, '/').kind === 'passthrough') {
      opts.log.info({ via: 'connect', host: host.name, port }, 'xborder.proxy_tunnel');
      opts.metrics.handled('connect', 'tunnel');
      return tunnel(socket, head, { host: host.name, port }, opts.connectTimeoutMs, (err) =>
        rawProblem(socket, new XbError('XB_UPSTREAM_UNREACHABLE', `${host.name}:${port} could not be reached: ${err.code ?? err.message}`)),
      );
    }
    const located = await opts.jurisdiction.locate(host);
    return refuseConnect(unrouted(host, located, snapshot, 'tunnel'), located.jurisdiction, located);
  };

  /** Answer 200, then serve the tunnel's requests ourselves: TLS with a minted leaf, or plain HTTP if the client speaks it. */
  const intercept = async (socket: Socket, head: Buffer, host: CanonicalHost, port: number, leaves: LeafCache) => {
    opts.metrics.handled('connect', 'inspected');
    const leaf = await leaves.get(host);
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    const first = head.length > 0 ? head : await firstChunk(socket);
    if (!first) return socket.destroy();
    // A TLS handshake record starts 0x16; anything else is plain HTTP sent through the tunnel.
    if (first[0] !== 0x16) {
      const plain = replay(socket, first);
      tunnels.set(plain, { host, port, scheme: 'http' });
      inner.emit('connection', plain);
      return;
    }
    // TLSSocket reads what is buffered in the socket before its handle (node's initRead).
    socket.unshift(first);
    const tls = new TLSSocket(socket, { isServer: true, secureContext: leaf.context, ALPNProtocols: ['http/1.1'] });
    tls.on('error', () => tls.destroy());
    tunnels.set(tls, { host, port, scheme: 'https' });
    inner.emit('connection', tls);
  };

  server.on('close', () => inner.close());
  return Object.assign(server, { inFlight: () => active });
}

/** The refusal of a host no route covers: cross-border ones say so, with the countries found. */
function unrouted(host: CanonicalHost, located: Located, snapshot: PolicySnapshot, kind: 'request' | 'tunnel'): XbError {
  const routes = [...snapshot.routes.keys()];
  const hint = `Add the host to a route's match.hosts (routes: ${routes.join(', ')}), or to proxy.passthrough if nothing personal or important goes to it.`;
  const invisible = kind === 'tunnel' ? ' A CONNECT tunnel to it would be invisible to inspection.' : '';
  const details = { host: host.name, jurisdiction: located.jurisdiction, countries: located.countries };
  if (located.jurisdiction === 'cross-border') {
    return new XbError('XB_PROXY_CROSS_BORDER_NOT_ROUTED', `${host.name} is outside the mainland (${located.countries.join(', ')}) and no route covers it: refused as a cross-border transfer nobody declared.${invisible} ${hint}`, details);
  }
  const where = located.jurisdiction === 'unknown' ? `its location is unknown (${located.reason})` : `it is ${located.jurisdiction}`;
  return new XbError('XB_PROXY_HOST_NOT_ROUTED', `${host.name}: no route covers it and it is not passthrough (${where}).${invisible} ${hint}`, details);
}

function logRefusal(log: Logger, err: XbError, jurisdiction: string, located: Located | undefined): void {
  log.info({ code: err.code, host: err.details?.['host'], jurisdiction, countries: located?.countries }, 'xborder.proxy_refused');
}

function hasBody(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return req.headers['transfer-encoding'] !== undefined || (Number.isFinite(length) && length > 0);
}

function sendProblem(res: ServerResponse, problem: Problem, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify(problem);
  res.writeHead(problem.status, { ...headers, 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A problem answer on a CONNECT socket (no ServerResponse there), then close. */
function rawProblem(socket: Socket, err: XbError): void {
  const body = JSON.stringify(toProblem(err, undefined));
  const reason = err.status === 403 ? 'Forbidden' : err.status === 400 ? 'Bad Request' : 'Bad Gateway';
  socket.end(`HTTP/1.1 ${err.status} ${reason}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

function upstreamFailed(res: ServerResponse, target: URL, err: NodeJS.ErrnoException): void {
  const code = err.code === 'ETIMEDOUT' ? 'XB_UPSTREAM_TIMEOUT' : 'XB_UPSTREAM_UNREACHABLE';
  sendProblem(res, toProblem(new XbError(code, `${target.host} could not be reached: ${err.code ?? err.message}`), undefined));
}

function fault(log: Logger, res: ServerResponse, err: unknown): void {
  log.error({ err: { message: (err as Error).message, stack: (err as Error).stack } }, 'xborder.fault');
  sendProblem(res, toProblem(new XbError('XB_INTERNAL', 'the proxy failed on this request'), undefined));
}

/**
 * The socket as a plain stream with `first` in front. The http server reads a net.Socket's handle
 * directly (bypassing anything unshifted into it), so it gets this wrapper instead.
 */
function replay(socket: Socket, first: Buffer): Socket {
  const wrapped = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _enc, done) => void socket.write(chunk, done),
    final: (done) => void socket.end(done),
    destroy: (err, done) => {
      socket.destroy(err ?? undefined);
      done(err);
    },
  });
  wrapped.push(first);
  socket.on('data', (c: Buffer) => {
    if (!wrapped.push(c)) socket.pause();
  });
  socket.on('end', () => wrapped.push(null));
  socket.on('close', () => wrapped.destroy());
  socket.resume();
  // The http server only reads stream methods; remoteAddress is read for pull routes' callers.
  Object.defineProperty(wrapped, 'remoteAddress', { get: () => socket.remoteAddress });
  return wrapped as unknown as Socket;
}

function firstChunk(socket: Socket): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const done = (chunk: Buffer | undefined) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      resolve(chunk);
    };
    const onData = (chunk: Buffer) => done(chunk);
    const onEnd = () => done(undefined);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
  });
}
