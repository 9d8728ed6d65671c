/**
 * The data plane's listener: connection limits and timeouts against slow or hostile clients,
 * a problem body for requests Node's HTTP parser (llhttp) refuses, and a bounded drain on stop.
 *
 * llhttp already refuses request smuggling's ingredients (Content-Length with Transfer-Encoding,
 * two Content-Length values, obsolete line folding, a bad chunk size, a Transfer-Encoding that
 * does not end in chunked): the request never reaches a route, so nothing reaches an upstream.
 * Node would answer a bare `400 Bad Request`; here the answer is a problem body with a code.
 */
import type { Socket } from 'node:net';
import type { Server } from 'node:http';
import type { FastifyHttpOptions, FastifyInstance } from 'fastify';
import { ERRORS, XbError, toProblem, type ErrorCode } from '../errors.js';
import type { Logger } from '../observability/log.js';

export interface ListenerLimits {
  readonly maxConnections: number;
  readonly maxHeaderBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** Options fastify passes to `http.createServer` and its own timeouts. */
export function listenerOptions(limits: ListenerLimits, log: Logger): FastifyHttpOptions<Server> {
  return {
    // Node checks the headers and request timeouts every connectionsCheckingInterval (default
    // 30 s): check often enough that a slow client is cut near its deadline.
    http: {
      maxHeaderSize: limits.maxHeaderBytes,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
      // Node answers a missing Host with a bare 400; applyListenerLimits answers it with a problem body.
      requireHostHeader: false,
    },
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // No idle-socket timer beyond the ones above (fastify's connectionTimeout would cut long uploads).
    connectionTimeout: 0,
    clientErrorHandler: (err: Error, socket: Socket) => answerClientError(err as ClientError, socket, log),
  };
}

/** Limits that are properties of the server, set before it listens. */
export function applyListenerLimits(app: FastifyInstance, limits: ListenerLimits): void {
  app.server.maxConnections = limits.maxConnections;
  // headersTimeout must not exceed requestTimeout (Node refuses otherwise).
  app.server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is refused (400), before any route sees it.
  app.addHook('onRequest', async (req, reply) => {
    if (req.raw.httpVersion !== '1.1' || req.headers.host !== undefined) return;
    const problem = toProblem(new XbError('XB_REQUEST_MALFORMED', 'the request is not valid HTTP/1.1 and was not forwarded: it has no Host header'), undefined);
    return reply.code(400).header('connection', 'close').type('application/problem+json').send(JSON.stringify(problem));
  });
}

type ClientError = Error & { code?: string; reason?: string; bytesParsed?: number };

/** What a client error is answered with: a status from the catalogue, and why in words. */
function classify(err: ClientError): { code: ErrorCode; detail: string } {
  if (err.code === 'HPE_HEADER_OVERFLOW') return { code: 'XB_REQUEST_HEADERS_TOO_LARGE', detail: 'the request line and headers exceed listen.data.maxHeaderBytes' };
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { code: 'XB_REQUEST_TIMEOUT', detail: 'the request was not received in time (listen.data.headersTimeoutMs, requestTimeoutMs)' };
  const why = (err.reason ?? err.message).replace(/[^\x20-\x7e]/g, '?').slice(0, 160);
  return { code: 'XB_REQUEST_MALFORMED', detail: `the request is not valid HTTP/1.1 and was not forwarded: ${why} (${err.code ?? 'parse error'})` };
}

function answerClientError(err: ClientError, socket: Socket, log: Logger): void {
  // A client that went away needs no answer.
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { code, detail } = classify(err);
  log.info({ code, cause: err.code }, 'xborder.refused');
  // An error after a response began (e.g. a timeout while the answer streams) cannot be answered.
  const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (started) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(toProblem(new XbError(code, detail), undefined));
  const status = ERRORS[code].status;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * Close the data plane gracefully: stop accepting at once (new connections are refused), answer
 * requests arriving on open connections with 503, let in-flight transfers finish — their
 * response streamed and their OUTCOME recorded — and close each connection as its response ends.
 * After `drainTimeoutMs` what is still open is cut.
 */
export async function closeDraining(app: FastifyInstance, drainTimeoutMs: number, log: Logger): Promise<void> {
  const server = app.server;
  // Keep-alive connections become idle when their response ends: close them then, not after keepAliveTimeout.
  const onFinish = () => server.closeIdleConnections();
  server.on('request', (_req, res) => res.once('finish', () => setImmediate(onFinish)));
  const inFlight = new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n ?? 0)));
  log.info({ connections: await inFlight, drainTimeoutMs }, 'xborder.draining');
  const timer = setTimeout(() => {
    log.warn({ drainTimeoutMs }, 'xborder.drain_timeout');
    server.closeAllConnections();
  }, drainTimeoutMs);
  // Responses under way when close starts: once each ends, its connection is idle and closed.
  const tick = setInterval(onFinish, 250);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
    clearInterval(tick);
  }
}
