/**
 * The admin plane (its own port, 127.0.0.1 by default; docs/admin.md). Open, for probes, and
 * revealing no data: `GET /healthz` (the process answers), `GET /readyz` (it can decide transfers).
 * Everything else needs the admin token, as a bearer header or the dashboard's cookie:
 * `GET /metrics`, `GET /api/status`, `GET /api/transfers`, `POST /api/reload`,
 * `POST /api/emergency-stop`, `POST /api/resume`, `GET /dashboard` and its files.
 * Never: answer anything but those two probes without the token; serve a file outside the
 * dashboard folder.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { EmergencyControl } from '../control/emergency.js';
import type { ReplicaView } from '../control/replicas.js';
import type { CounterStore } from '../count/store/types.js';
import { XbError, toProblem, toXbError } from '../errors.js';
import type { EvidenceHealth } from '../observability/evidence-health.js';
import type { Logger } from '../observability/log.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import { sendProblem } from '../receive/index.js';
import type { ReloadResult } from '../reload.js';
import { adminAuth, sameOrigin } from './auth.js';
import { readiness } from './readiness.js';
import { RECENT_CAPACITY, type RecentTransfers } from './recent.js';
import { DASHBOARD_DIR, dashboardFile } from './static-files.js';
import { buildStatus } from './status.js';

export interface AdminOptions {
  readonly token: string;
  readonly log: Logger;
  readonly snapshot: () => PolicySnapshot;
  readonly store: CounterStore;
  readonly clock: Clock;
  readonly gatewayId: string;
  /** The evidence log's head and health (observability/evidence-health.ts). */
  readonly evidence: { head(): { seq: number; hash: Buffer } } & EvidenceHealth;
  readonly reload: () => Promise<ReloadResult>;
  /** This gateway's metrics registry (observability/metrics.ts). */
  readonly metrics: Registry;
  readonly transfers: RecentTransfers;
  readonly emergency: EmergencyControl;
  /** The replicas sharing the store (control/replicas.ts), for `/api/status`. */
  readonly replicas?: () => Promise<ReplicaView>;
  /** The dashboard's files (default agent/admin/dashboard/). */
  readonly dashboardDir?: string;
  /** How long `/readyz` waits for the store, ms (default readiness.ts READY_STORE_TIMEOUT_MS). */
  readonly readyTimeoutMs?: number;
}

/** Paths open without the token: liveness and readiness probes (they reveal no data). */
const OPEN = new Set(['/healthz', '/readyz']);
/** Longest `by` and `reason` of a stop or resume, in characters (they go into evidence and to clients). */
const MAX_BY = 200;
const MAX_REASON = 2_000;
const DECISIONS = new Set(['allow', 'flag', 'block']);

export function createAdminPlane(opts: AdminOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  const auth = adminAuth(opts.token);
  const dashboardDir = opts.dashboardDir ?? DASHBOARD_DIR;
  const unauthorized = (reply: FastifyReply, detail: string) => sendProblem(reply, toProblem(new XbError('XB_ADMIN_UNAUTHORIZED', detail), undefined));

  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url;
    if (route !== undefined && OPEN.has(route)) return;
    // The dashboard's way in: the token once in the URL, then a cookie; the redirect drops the token from the address bar.
    const query = req.query as Record<string, unknown> | undefined;
    if (route === '/dashboard' && typeof query?.['token'] === 'string') {
      if (!auth.isToken(query['token'])) return unauthorized(reply, 'the dashboard token is wrong: open /dashboard?token=<admin token> (admin.token in the config)');
      return reply.code(302).header('set-cookie', auth.setCookie()).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect('/dashboard');
    }
    const credential = auth.credential(req.headers);
    if (credential === undefined) return unauthorized(reply, 'send Authorization: Bearer <admin token> (admin.token in the config), or open /dashboard?token=<admin token> in a browser');
    if (credential === 'cookie' && req.method !== 'GET' && req.method !== 'HEAD' && !sameOrigin(req.headers)) {
      return unauthorized(reply, 'a request authorized by the dashboard cookie that changes something must come from the dashboard itself (Origin)');
    }
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const r = await readiness({ store: opts.store, snapshot: opts.snapshot, evidence: opts.evidence, clock: opts.clock, ...(opts.readyTimeoutMs !== undefined ? { timeoutMs: opts.readyTimeoutMs } : {}) });
    return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'not-ready', checks: r.checks });
  });

  app.get('/metrics', async (_req, reply) => reply.header('content-type', opts.metrics.contentType).send(await opts.metrics.metrics()));

  app.get('/api/status', async () =>
    buildStatus({ snapshot: opts.snapshot, store: opts.store, clock: opts.clock, gatewayId: opts.gatewayId, evidenceHead: () => opts.evidence.head(), emergency: () => opts.emergency.state(), ...(opts.replicas ? { replicas: opts.replicas } : {}) }),
  );

  app.get('/api/transfers', async (req) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const decision = optionalString(q, 'decision');
    if (decision !== undefined && !DECISIONS.has(decision)) throw invalid(`decision must be allow, flag or block, not ${JSON.stringify(decision.slice(0, 32))}`);
    const limitText = optionalString(q, 'limit');
    const limit = limitText === undefined ? RECENT_CAPACITY : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > RECENT_CAPACITY) throw invalid(`limit must be a whole number from 1 to ${RECENT_CAPACITY}`);
    return { transfers: opts.transfers.list({ decision, route: optionalString(q, 'route'), reason: optionalString(q, 'reason'), limit }) };
  });

  app.post('/api/reload', async () => opts.reload());

  app.post('/api/emergency-stop', async (req) => {
    const body = jsonBody(req);
    const by = requiredText(body, 'by', MAX_BY);
    const reason = requiredText(body, 'reason', MAX_REASON);
    const change = await opts.emergency.stop(by, reason);
    return { emergency: change.state, changed: change.changed, evidenceSeq: change.evidenceSeq, evidenceError: change.evidenceError };
  });

  app.post('/api/resume', async (req) => {
    const body = jsonBody(req);
    const by = requiredText(body, 'by', MAX_BY);
    const reason = body['reason'] === undefined ? undefined : requiredText(body, 'reason', MAX_REASON);
    const change = await opts.emergency.resume(by, reason);
    return { emergency: change.state, changed: change.changed, evidenceSeq: change.evidenceSeq };
  });

  const serveDashboard = async (name: string, reply: FastifyReply) => {
    const file = await dashboardFile(dashboardDir, name);
    if (!file) return notFound(reply, `no dashboard file ${JSON.stringify(name.slice(0, 64))}`);
    return reply
      .type(file.type)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .send(file.body);
  };
  app.get('/dashboard', async (_req, reply) => serveDashboard('index.html', reply));
  app.get('/dashboard/', async (_req, reply) => serveDashboard('index.html', reply));
  app.get('/dashboard/:file', async (req: FastifyRequest<{ Params: { file: string } }>, reply) => serveDashboard(req.params.file, reply));

  const notFound = (reply: FastifyReply, detail: string) => sendProblem(reply, toProblem(new XbError('XB_ADMIN_NOT_FOUND', detail), undefined));
  app.setNotFoundHandler((req, reply) => {
    opts.log.info({ code: 'XB_ADMIN_NOT_FOUND', method: req.method }, 'xborder.admin_refused');
    return notFound(reply, `no admin endpoint ${req.method} ${req.url.split('?')[0]?.slice(0, 128)}`);
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    // fastify's own refusals of a request (bad JSON, wrong content type) are the client's to fix.
    const xb = !(err instanceof XbError) && err.statusCode !== undefined && err.statusCode < 500 ? invalid(err.message) : toXbError(err);
    if (xb.status >= 500) opts.log.error({ code: xb.code, err: { message: err.message, stack: err.stack } }, 'xborder.admin_fault');
    return sendProblem(reply, toProblem(xb, undefined));
  });
  return app;
}

const invalid = (detail: string) => new XbError('XB_ADMIN_INVALID_REQUEST', detail);

function optionalString(q: Record<string, unknown>, key: string): string | undefined {
  const v = q[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(`${key} must be given once`);
  return v;
}

function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const body = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('send a JSON object (content-type: application/json)');
  return body as Record<string, unknown>;
}

function requiredText(body: Record<string, unknown>, key: string, max: number): string {
  const v = body[key];
  if (typeof v !== 'string' || v.trim() === '') throw invalid(`${key} is required: a non-empty string`);
  if (v.length > max) throw invalid(`${key} is longer than ${max} characters`);
  return v.trim();
}
