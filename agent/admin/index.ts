/**
 * The admin plane (separate port, 127.0.0.1 by default, bearer token): `GET /healthz` (open),
 * `GET /api/status` (each counter's exact value, its thresholds and the filing covering each) and
 * `POST /api/reload`. Metrics, dashboard and emergency stop arrive with the ops issue.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { chinaDay, chinaYear, type Clock } from '../clock.js';
import { estimates } from '../count/sketches.js';
import { sketchName, type CounterStore } from '../count/store/types.js';
import { counterStatus, policyCounters } from './counter-status.js';
import { XbError, toProblem, toXbError } from '../errors.js';
import type { Logger } from '../observability/log.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import { sendProblem } from '../receive/index.js';
import type { ReloadResult } from '../reload.js';

export interface AdminOptions {
  readonly token: string;
  readonly log: Logger;
  readonly snapshot: () => PolicySnapshot;
  readonly store: CounterStore;
  readonly clock: Clock;
  readonly gatewayId: string;
  readonly evidenceHead: () => { seq: number; hash: Buffer };
  readonly reload: () => Promise<ReloadResult>;
}

export function createAdminPlane(opts: AdminOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  const expected = Buffer.from(`Bearer ${opts.token}`);

  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/healthz') return;
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return sendProblem(reply, toProblem(new XbError('XB_ADMIN_UNAUTHORIZED', 'send Authorization: Bearer <admin token> (admin.token in the config)'), undefined));
    }
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.post('/api/reload', async () => opts.reload());

  app.get('/api/status', async () => {
    const snapshot = opts.snapshot();
    const now = opts.clock.now();
    const year = chinaYear(now);
    const day = chinaDay(now);
    const exact = await opts.store.counts(year);
    const all = policyCounters(snapshot);
    const estimated = await estimates(opts.store, year, [...all.keys()].map(sketchName.counter));
    const counters = [...all.values()].map((c) => ({ ...counterStatus(c, exact.get(c.ref) ?? 0, snapshot, day), estimated: estimated.get(sketchName.counter(c.ref)) ?? 0 }));
    const head = opts.evidenceHead();
    return {
      gatewayId: opts.gatewayId,
      mode: snapshot.mode,
      year,
      policy: { revision: snapshot.policy.revision, packs: snapshot.policy.packs },
      evidence: { headSeq: head.seq, headHash: head.hash.toString('hex') },
      counters,
    };
  });

  app.setNotFoundHandler((req, reply) => {
    opts.log.info({ code: 'XB_ADMIN_NOT_FOUND', method: req.method }, 'xborder.admin_refused');
    return sendProblem(reply, toProblem(new XbError('XB_ADMIN_NOT_FOUND', `no admin endpoint ${req.method} ${req.url.split('?')[0]?.slice(0, 128)}`), undefined));
  });
  app.setErrorHandler((err: Error, _req, reply) => {
    const xb = toXbError(err);
    if (xb.status >= 500) opts.log.error({ code: xb.code, err: { message: err.message, stack: err.stack } }, 'xborder.admin_fault');
    return sendProblem(reply, toProblem(xb, undefined));
  });
  return app;
}
