/**
 * receive: the data plane (fastify). Route mode: `POST|PUT|PATCH /{routeId}/{path}` is inspected
 * and, if allowed, sent to the route's upstream + `/{path}` with the query kept. Pull routes
 * (agent/pull/): `GET|HEAD|POST /{routeId}/{path}` goes to the domestic upstream and its response
 * is inspected before it is sent back.
 * In: HTTP requests. Out: TransferRequest values to the pipeline; its answer back to the client.
 * Bodies over `limits.memoryBytes` are spooled to a 0600 file (spool.ts), removed when the
 * response is over; over `limits.spoolBytes` (or the route's `limits.maxBodyBytes`): 413
 * XB_BODY_TOO_LARGE. Listener limits, malformed requests and the drain on stop: listener.ts.
 * Never: send a byte upstream before the pipeline's decision; answer a failure without a problem
 * body carrying `code` and `transferId`.
 */
import { rm } from 'node:fs/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { XbError, toProblem, toXbError, type Problem } from '../errors.js';
import type { Logger } from '../observability/log.js';
import type { TransferRequest, TransferResponse } from '../pipeline.js';
import { applyListenerLimits, listenerOptions, type ListenerLimits } from './listener.js';
import { receiveBody, tooLarge, type ReceivedBody, type SpoolOptions } from './spool.js';

export interface DataPlaneOptions {
  /** Memory and spool limits, and the spool directory (spool.ts). */
  readonly spool: SpoolOptions;
  readonly log: Logger;
  readonly handle: (req: TransferRequest) => Promise<TransferResponse>;
  /** Connection limits and timeouts (listener.ts, `listen.data`); unset: Node's and fastify's own. */
  readonly listener?: ListenerLimits | undefined;
  /** A route's own largest body (`routes[].limits.maxBodyBytes`), if it has one. */
  readonly routeBodyLimit?: ((routeId: string) => number | undefined) | undefined;
}

export function createDataPlane(opts: DataPlaneOptions): FastifyInstance {
  const { spool } = opts;
  const app = Fastify({ logger: false, bodyLimit: spool.spoolBytes, return503OnClosing: true, ...(opts.listener ? listenerOptions(opts.listener, opts.log) : {}) });
  if (opts.listener) applyListenerLimits(app, opts.listener);
  // Bodies stay bytes (or a spool file): parse/ decides what they are, per route.
  app.removeAllContentTypeParsers();
  const spoolFiles = new WeakMap<FastifyRequest, string>();
  // The spool file goes when the response is over, sent or cut: 'close' fires either way.
  app.addHook('onRequest', async (req, reply) => {
    reply.raw.once('close', () => {
      const file = spoolFiles.get(req);
      if (file !== undefined) void rm(file, { force: true }).catch(() => undefined);
    });
  });
  app.addContentTypeParser('*', async (req: FastifyRequest, payload: NodeJS.ReadableStream) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > spool.spoolBytes) throw tooLarge(spool.spoolBytes);
    const routeId = (req.params as { routeId?: string } | undefined)?.routeId;
    const own = routeId === undefined ? undefined : opts.routeBodyLimit?.(routeId);
    if (own === undefined || own >= spool.spoolBytes) return receiveBody(payload as import('node:stream').Readable, spool, (file) => spoolFiles.set(req, file));
    // The route's own limit: refused as early, with its own key named.
    const overRoute = () => new XbError('XB_BODY_TOO_LARGE', `body exceeds the limit of ${own} bytes of route ${routeId} (routes[].limits.maxBodyBytes)`, { limitBytes: own });
    if (Number.isFinite(declared) && declared > own) throw overRoute();
    return receiveBody(payload as import('node:stream').Readable, { ...spool, spoolBytes: own }, (file) => spoolFiles.set(req, file)).catch((err: unknown) => {
      throw err instanceof XbError && err.code === 'XB_BODY_TOO_LARGE' ? overRoute() : err;
    });
  });

  const transfer = async (req: FastifyRequest<{ Params: { routeId: string; '*'?: string } }>, reply: FastifyReply) => {
    // `/{routeId}{/path}{?query}`: everything after the route segment goes upstream as sent.
    const raw = req.raw.url ?? '/';
    const segment = raw.slice(1).split(/[/?]/, 1)[0] ?? '';
    const res = await opts.handle({
      routeId: req.params.routeId,
      pathAndQuery: raw.slice(1 + segment.length),
      method: req.method,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
      body: {
        bytes: (req.body as ReceivedBody | undefined)?.bytes ?? Buffer.alloc(0),
        contentType: req.headers['content-type'],
        contentEncoding: req.headers['content-encoding'],
        spooled: (req.body as ReceivedBody | undefined)?.spooled,
      },
    });
    if (res.kind === 'problem') return sendProblem(reply, res.problem, res.headers);
    reply.code(res.status).headers(res.headers);
    return reply.send(res.body);
  };
  // GET and HEAD are for pull routes (agent/pull/): the pipeline refuses them on push routes with 404.
  for (const url of ['/:routeId', '/:routeId/*']) app.route({ method: ['POST', 'PUT', 'PATCH', 'GET', 'HEAD'], url, handler: transfer });

  app.setNotFoundHandler((req, reply) => {
    opts.log.info({ code: 'XB_ROUTE_NOT_FOUND', method: req.method }, 'xborder.refused');
    return sendProblem(reply, toProblem(new XbError('XB_ROUTE_NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]?.slice(0, 128)}; use POST /{routeId}/{path}`), undefined));
  });
  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    const xb =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? tooLarge(spool.spoolBytes)
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_ERR_CTP_EMPTY_TYPE'
          ? new XbError('XB_BODY_UNSUPPORTED_TYPE', 'request has no usable content-type')
          : toXbError(err);
    // Names and codes only: a fault's message never quotes the body.
    if (xb.status >= 500) opts.log.error({ code: xb.code, err: { message: err.message, stack: err.stack } }, 'xborder.fault');
    else opts.log.info({ code: xb.code, route: (req.params as { routeId?: string } | undefined)?.routeId }, 'xborder.refused');
    return sendProblem(reply, toProblem(xb, undefined));
  });
  return app;
}

export function sendProblem(reply: FastifyReply, problem: Problem, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(problem.status).headers(headers).type('application/problem+json').send(JSON.stringify(problem));
}
