/**
 * The admin plane against a real gateway (issue 8): every endpoint refuses a request without the
 * token (or with a wrong one) and the data plane never serves any of them; /metrics carries the
 * documented names with plausible values; /api/transfers filters; /api/status has projections, the
 * daily series, the emergency state and expiring filings; an emergency stop refuses every route
 * from the very next transfer, shows in metrics and evidence, and survives a restart until resumed;
 * the dashboard's token-to-cookie exchange; /readyz goes 503 when Redis is killed.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIR } from '../../agent/admin/static-files.js';
import type { Gateway } from '../../agent/gateway.js';
import { readRecords } from '../../agent/record/read.js';
import { counters, decisionLines, deliveryRoute, gatewayOnOwnRedis, postJson, testEnv, type TestEnv } from '../helpers/gateway.js';
import { REDIS_SKIP_MESSAGE, redisServerAvailable } from '../helpers/redis.js';
import { shipment } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const batch = (from: number, n: number) => ({ shipments: Array.from({ length: n }, (_, i) => shipment(from + i, `SO-${from + i}`)) });

/** Every authenticated admin endpoint, as method and path. */
const ENDPOINTS: readonly [string, string][] = [
  ['GET', '/metrics'],
  ['GET', '/api/status'],
  ['GET', '/api/transfers'],
  ['POST', '/api/reload'],
  ['POST', '/api/emergency-stop'],
  ['POST', '/api/resume'],
  ['GET', '/dashboard'],
  ['GET', '/dashboard/'],
  ['GET', '/dashboard/app.js'],
  ['GET', '/no-such-endpoint'],
];

/** The value of one sample (`name{labels} value`) in Prometheus text. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('the admin plane', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway;
  const config = () => ({
    routes: [deliveryRoute('sg', upstream.url), deliveryRoute('hk', upstream.url, { recipient: { name: 'HK Freight Ltd.', country: 'HK' } })],
    filings: [
      // Expires 60 days from today (China time): listed as expiring.
      { id: 'SC-ADMIN-1', kind: 'standard-contract', covers: { list: 'guangxi-2025', domains: ['live-commerce'], items: [6] }, effective: '2026-01-01', expires: inDays(60), filedOn: '2026-01-09' },
    ],
  });
  const inDays = (n: number) => new Date(Date.now() + 8 * 3600_000 + n * 86_400_000).toISOString().slice(0, 10);
  const auth = () => ({ authorization: `Bearer ${gw.adminToken}` });
  const admin = (path: string, init: RequestInit = {}) => fetch(`${gw.adminUrl}${path}`, { redirect: 'manual', ...init, headers: { ...auth(), ...(init.headers as Record<string, string>) } });
  const adminJson = async (path: string, init: RequestInit = {}) => {
    const res = await admin(path, init);
    return { status: res.status, json: (await res.json()) as any };
  };
  const post = (path: string, body: unknown) => adminJson(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    env = testEnv();
    upstream = await startUpstream();
    gw = await env.start(config());
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    env?.cleanup();
  });

  it('refuses every endpoint without the token, with a wrong one, or a forged cookie; /healthz and /readyz are open and say nothing', async () => {
    const wrong: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${gw.adminToken}x` },
      { authorization: `Bearer ${gw.adminToken.slice(1)}` },
      { authorization: gw.adminToken },
      { cookie: `xb_admin=${gw.adminToken}` },
      { cookie: 'xb_admin=forged' },
    ];
    for (const [method, path] of ENDPOINTS) {
      for (const headers of wrong) {
        const body = method === 'POST' ? JSON.stringify({ by: 'mallory', reason: 'no token' }) : undefined;
        const res = await fetch(`${gw.adminUrl}${path}`, { method, redirect: 'manual', headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body } : {}) });
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        const problem = (await res.json()) as Record<string, unknown>;
        expect(problem['code']).toBe('XB_ADMIN_UNAUTHORIZED');
        expect(res.headers.get('set-cookie')).toBeNull();
      }
    }
    const wrongToken = await fetch(`${gw.adminUrl}/dashboard?token=${encodeURIComponent(`${gw.adminToken}x`)}`, { redirect: 'manual' });
    expect(wrongToken.status).toBe(401);
    expect(wrongToken.headers.get('set-cookie')).toBeNull();
    // Nothing an unauthorized POST asked for happened.
    expect(gw.emergency.state().stopped).toBe(false);

    const health = await fetch(`${gw.adminUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gw.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { store: 'ok', policy: 'ok', evidence: 'ok' } });
  });

  it('never serves admin content on the data plane', async () => {
    for (const path of ['/api/status', '/api/transfers', '/api/reload', '/api/emergency-stop', '/api/resume', '/metrics', '/dashboard', '/dashboard/app.js', '/healthz', '/readyz']) {
      for (const method of ['GET', 'POST']) {
        const res = await fetch(`${gw.dataUrl}${path}`, { method, headers: { ...auth(), 'content-type': 'application/json' }, ...(method === 'POST' ? { body: JSON.stringify({ by: 'x', reason: 'y' }) } : {}) });
        const text = await res.text();
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(JSON.parse(text).code, `${method} ${path}`).toBe('XB_ROUTE_NOT_FOUND');
        expect(text).not.toMatch(/counters|xborder_|<html|"emergency"/i);
      }
    }
    expect(gw.emergency.state().stopped).toBe(false);
  });

  it('exports the documented metrics with plausible values after some transfers', async () => {
    expect((await postJson(`${gw.dataUrl}/sg/v1/shipments`, batch(1, 10))).status).toBe(201);
    expect((await postJson(`${gw.dataUrl}/hk/v1/shipments`, batch(11, 5))).status).toBe(201);
    const bad = await fetch(`${gw.dataUrl}/sg/v1/shipments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"shipments": [' });
    expect(bad.status).toBe(400);

    const res = await admin('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of [
      'xborder_transfers_total', 'xborder_transfer_bytes_total', 'xborder_persons_added_total', 'xborder_counter_persons', 'xborder_counter_utilization',
      'xborder_stage_seconds', 'xborder_store_errors_total', 'xborder_evidence_head_seq', 'xborder_evidence_lag_seconds', 'xborder_emergency_stop',
      'xborder_filing_expiry_days', 'xborder_process_cpu_seconds_total', 'xborder_process_resident_memory_bytes', 'xborder_nodejs_eventloop_lag_seconds',
    ])
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));

    expect(sample(text, 'xborder_transfers_total', 'route="sg",decision="allow",reason="within-thresholds"')).toBe(1);
    expect(sample(text, 'xborder_transfers_total', 'route="hk",decision="allow",reason="within-thresholds"')).toBe(1);
    expect(sample(text, 'xborder_transfers_total', 'route="sg",decision="block",reason="uninspectable"')).toBe(1);
    expect(sample(text, 'xborder_transfer_bytes_total', 'route="sg"')).toBeGreaterThan(1000);
    expect(sample(text, 'xborder_persons_added_total', `counter="${LIMITED}"`)).toBe(15);
    expect(sample(text, 'xborder_counter_persons', `counter="${LIMITED}"`)).toBe(15);
    // SC-ADMIN-1 covers item 6 (100,000): the next uncovered threshold is item 4's 2,000,000.
    expect(sample(text, 'xborder_counter_utilization', `counter="${LIMITED}"`)).toBeCloseTo(15 / 2_000_000, 12);
    expect(sample(text, 'xborder_stage_seconds_count', 'stage="parse"')).toBe(3);
    expect(sample(text, 'xborder_stage_seconds_count', 'stage="forward"')).toBe(2);
    expect(sample(text, 'xborder_stage_seconds_sum', 'stage="record"')).toBeGreaterThan(0);
    const status = await adminJson('/api/status');
    expect(sample(text, 'xborder_evidence_head_seq')).toBe(status.json.evidence.headSeq);
    expect(sample(text, 'xborder_evidence_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'xborder_evidence_lag_seconds')).toBeLessThan(60);
    expect(sample(text, 'xborder_emergency_stop')).toBe(0);
    expect(sample(text, 'xborder_filing_expiry_days', 'filing="SC-ADMIN-1"')).toBe(60);
  });

  it('lists recent transfers newest first, filtered by decision, route and reason, with no values', async () => {
    const all = await adminJson('/api/transfers');
    expect(all.status).toBe(200);
    expect(all.json.transfers).toHaveLength(3);
    const [newest] = all.json.transfers;
    expect(newest).toEqual({
      transferId: expect.any(String),
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      route: 'sg',
      direction: 'push',
      recipient: { name: 'Example Logistics Pte. Ltd.', country: 'SG' },
      decision: 'block',
      reason: 'uninspectable',
      rules: [],
      notices: [],
      persons: 0,
      records: 0,
      bytes: 15,
      upstreamStatus: null,
      errorCode: 'XB_PARSE_INVALID_JSON',
    });
    expect(JSON.stringify(all.json)).not.toMatch(/139\d{8}|发货人/);

    const blocked = await adminJson('/api/transfers?decision=block');
    expect(blocked.json.transfers.map((t: any) => t.reason)).toEqual(['uninspectable']);
    const hk = await adminJson('/api/transfers?route=hk');
    expect(hk.json.transfers).toMatchObject([{ route: 'hk', decision: 'allow', persons: 5, records: 5, upstreamStatus: 201, errorCode: null, recipient: { country: 'HK' } }]);
    const within = await adminJson('/api/transfers?reason=within-thresholds&limit=1');
    expect(within.json.transfers).toMatchObject([{ route: 'hk' }]);
    expect((await adminJson('/api/transfers?decision=flag')).json.transfers).toEqual([]);

    for (const q of ['decision=maybe', 'limit=0', 'limit=1001', 'limit=ten', 'limit=1.5', 'route=a&route=b']) {
      const res = await adminJson(`/api/transfers?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.json.code, q).toBe('XB_ADMIN_INVALID_REQUEST');
    }
  });

  it('adds projections, the daily series, the emergency state, expiring filings and the mode to /api/status', async () => {
    const { status, json } = await adminJson('/api/status');
    expect(status).toBe(200);
    expect(json.mode).toBe('enforce');
    expect(json.emergency).toEqual({ stopped: false, since: null, by: null, reason: null });
    expect(json.filingsExpiring).toEqual([{ id: 'SC-ADMIN-1', kind: 'standard-contract', expires: inDays(60), daysLeft: 60 }]);
    const limited = json.counters.find((c: any) => c.counter === LIMITED);
    expect(limited.exact).toBe(15);
    expect(limited.daily).toHaveLength(30);
    expect(limited.daily.at(-1)).toEqual({ day: inDays(0), added: 15 });
    expect(limited.daily.slice(0, -1).every((d: any) => d.added === 0)).toBe(true);
    // 15 persons today: 15/7 a day over 7 days, 15/30 over 30 (or over the days of the year so far).
    expect(limited.projections.map((p: any) => p.item)).toEqual([6, 4]);
    for (const p of limited.projections) {
      expect(p).toEqual({ item: expect.any(Number), threshold: expect.stringMatching(/^n ≥|≤ n </), min: expect.any(Number), at7: null, at30: null });
    }
    const general = json.counters.find((c: any) => c.counter === 'guangxi-2025/live-commerce/general');
    expect(general.projections.every((p: any) => p.at7 === null && p.at30 === null)).toBe(true);
  });

  it('emergency stop: refuses every route from the very next transfer, in metrics and evidence, across a restart, until resumed', async () => {
    for (const body of [{}, { by: 'ops' }, { reason: 'x' }, { by: ' ', reason: 'x' }, { by: 'ops', reason: 7 }, []]) {
      const res = await post('/api/emergency-stop', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.code).toBe('XB_ADMIN_INVALID_REQUEST');
    }
    const notJson = await admin('/api/emergency-stop', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'stop' });
    expect(notJson.status).toBe(400);
    expect((await post('/api/resume', {})).status).toBe(400);
    expect(gw.emergency.state().stopped).toBe(false);

    const received = upstream.received.length;
    const stop = await post('/api/emergency-stop', { by: 'ops-oncall', reason: 'CAC notice 2026-17: halt transfers' });
    expect(stop.status).toBe(200);
    expect(stop.json).toMatchObject({ changed: true, evidenceSeq: expect.any(Number), evidenceError: null, emergency: { stopped: true, by: 'ops-oncall', reason: 'CAC notice 2026-17: halt transfers' } });
    const since = stop.json.emergency.since;

    // The very next transfer, on every route, with PI or without.
    for (const [route, body] of [['sg', batch(100, 3)], ['hk', batch(200, 3)], ['sg', { shipments: [{ orderNo: 'X', goodsName: '六堡茶', quantity: 1 }] }]] as const) {
      const res = await postJson(`${gw.dataUrl}/${route}/v1/shipments`, body);
      expect(res.status, route).toBe(503);
      expect(res.headers.get('x-xborder-decision')).toBe('block');
      expect(res.json).toMatchObject({ code: 'XB_EMERGENCY_STOP', status: 503, transferId: expect.any(String), since, by: 'ops-oncall', reason: 'CAC notice 2026-17: halt transfers' });
    }
    expect(upstream.received.length).toBe(received);
    // Not a transfer: an unknown route is still 404.
    expect((await postJson(`${gw.dataUrl}/nowhere/x`, {})).status).toBe(404);
    expect(decisionLines(env.logLines).at(-1)).toMatchObject({ decision: 'block', reason: 'emergency-stop', errorCode: 'XB_EMERGENCY_STOP', persons: 0 });

    // A second stop changes nothing.
    const again = await post('/api/emergency-stop', { by: 'someone-else', reason: 'again' });
    expect(again.json).toMatchObject({ changed: false, emergency: { by: 'ops-oncall', since } });

    const metrics = await (await admin('/metrics')).text();
    expect(sample(metrics, 'xborder_emergency_stop')).toBe(1);
    expect(sample(metrics, 'xborder_transfers_total', 'route="sg",decision="block",reason="emergency-stop"')).toBe(2);
    expect(sample(metrics, 'xborder_transfers_total', 'route="hk",decision="block",reason="emergency-stop"')).toBe(1);
    expect((await adminJson('/api/status')).json.emergency).toEqual({ stopped: true, since, by: 'ops-oncall', reason: 'CAC notice 2026-17: halt transfers' });
    expect((await adminJson('/api/transfers?reason=emergency-stop')).json.transfers).toHaveLength(3);
    // Stopped is still ready: the gateway answers every transfer.
    expect((await fetch(`${gw.adminUrl}/readyz`)).status).toBe(200);

    // A restart keeps the stop, in force before the data plane listens.
    await gw.close();
    gw = await env.start(config());
    expect(gw.emergency.state()).toMatchObject({ stopped: true, since });
    const afterRestart = await postJson(`${gw.dataUrl}/sg/v1/shipments`, batch(300, 2));
    expect(afterRestart.status).toBe(503);
    expect(afterRestart.json.code).toBe('XB_EMERGENCY_STOP');
    expect(upstream.received.length).toBe(received);

    const resume = await post('/api/resume', { by: 'ops-lead' });
    expect(resume.status).toBe(200);
    expect(resume.json).toMatchObject({ changed: true, evidenceSeq: expect.any(Number), emergency: { stopped: false, since: null, by: null, reason: null } });
    const next = await postJson(`${gw.dataUrl}/sg/v1/shipments`, batch(300, 2));
    expect(next.status).toBe(201);
    expect(upstream.received.length).toBe(received + 1);
    expect(sample(await (await admin('/metrics')).text(), 'xborder_emergency_stop')).toBe(0);
    expect((await post('/api/resume', { by: 'ops-lead' })).json.changed).toBe(false);

    // Resumed stays resumed across a restart.
    await gw.close();
    gw = await env.start(config());
    expect(gw.emergency.state().stopped).toBe(false);

    // Evidence: one EMERGENCY_STOP and one RESUME record, who and why in lifecycle.detail; no TRANSFER for refused transfers.
    const records = [...readRecords(join(env.dir, 'data', 'evidence'))].map((r) => r.record);
    const stops = records.filter((r) => r.kind === 'EMERGENCY_STOP');
    const resumes = records.filter((r) => r.kind === 'RESUME');
    expect(stops).toHaveLength(1);
    expect(resumes).toHaveLength(1);
    expect(JSON.parse(String(stops[0]?.lifecycle?.detail))).toEqual({ by: 'ops-oncall', reason: 'CAC notice 2026-17: halt transfers', since });
    expect(JSON.parse(String(resumes[0]?.lifecycle?.detail))).toMatchObject({ by: 'ops-lead', stoppedSince: since, stoppedBy: 'ops-oncall' });
    expect(stops[0]?.seq).toBe(stop.json.evidenceSeq);
    const between = records.slice(records.indexOf(stops[0]!) + 1, records.indexOf(resumes[0]!));
    expect(between.filter((r) => r.kind === 'TRANSFER')).toEqual([]);
  });

  it('lets a browser in with ?token=: an HttpOnly SameSite=Strict cookie, a redirect, then the dashboard and the API by cookie', async () => {
    const res = await fetch(`${gw.adminUrl}/dashboard?token=${encodeURIComponent(gw.adminToken)}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/dashboard');
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^xb_admin=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(gw.adminToken);
    const cookie = setCookie.split(';')[0] as string;

    const files = existsSync(DASHBOARD_DIR) ? readdirSync(DASHBOARD_DIR).filter((f) => statSync(join(DASHBOARD_DIR, f)).isFile() && !f.startsWith('.')) : [];
    const page = await fetch(`${gw.adminUrl}/dashboard`, { headers: { cookie } });
    expect(page.status).toBe(files.includes('index.html') ? 200 : 404);
    if (files.includes('index.html')) expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const types: Record<string, RegExp> = { '.html': /^text\/html/, '.js': /^text\/javascript/, '.css': /^text\/css/ };
    for (const f of files) {
      const r = await fetch(`${gw.adminUrl}/dashboard/${f}`, { headers: { cookie } });
      expect(r.status, f).toBe(200);
      const type = types[f.slice(f.lastIndexOf('.'))];
      if (type) expect(r.headers.get('content-type'), f).toMatch(type);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
    for (const f of ['missing.js', '..%2Fstatic-files.ts', '..%2F..%2F..%2Fpackage.json', '%2E%2E', 'dashboard/index.html']) {
      const r = await fetch(`${gw.adminUrl}/dashboard/${f}`, { headers: { cookie } });
      expect(r.status, f).toBe(404);
      expect(((await r.json()) as any).code, f).toBe('XB_ADMIN_NOT_FOUND');
    }
    const traversal = await fetch(`${gw.adminUrl}/dashboard/../package.json`, { headers: { cookie } });
    expect(traversal.status).not.toBe(200);

    expect((await fetch(`${gw.adminUrl}/api/status`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${gw.adminUrl}/metrics`, { headers: { cookie } })).status).toBe(200);
    // A change by cookie must come from the admin plane's own origin (SameSite does not tell ports apart).
    const stopBody = { method: 'POST', body: JSON.stringify({ by: 'browser', reason: 'test' }) };
    const noOrigin = await fetch(`${gw.adminUrl}/api/emergency-stop`, { ...stopBody, headers: { cookie, 'content-type': 'application/json' } });
    expect(noOrigin.status).toBe(401);
    const otherPort = await fetch(`${gw.adminUrl}/api/emergency-stop`, { ...stopBody, headers: { cookie, 'content-type': 'application/json', origin: gw.dataUrl } });
    expect(otherPort.status).toBe(401);
    expect(gw.emergency.state().stopped).toBe(false);
    const sameOrigin = await fetch(`${gw.adminUrl}/api/resume`, { method: 'POST', body: JSON.stringify({ by: 'browser' }), headers: { cookie, 'content-type': 'application/json', origin: gw.adminUrl } });
    expect(sameOrigin.status).toBe(200);
  });

  it('keeps /api/reload behind the token and working', async () => {
    const res = await post('/api/reload', {});
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ policyRevision: expect.any(String), restartRequired: [] });
    expect((await counters(gw))[LIMITED]).toBe(17);
  });
});

describe.skipIf(!redisServerAvailable())('/readyz with a Redis store', () => {
  const s = gatewayOnOwnRedis('xb-readyz', (upstream) => [deliveryRoute('sg', upstream)]);

  it('is ready while Redis answers, 503 naming the store once it is killed, ready again when it is back', async () => {
    const ready = await fetch(`${s.gw.adminUrl}/readyz`);
    expect(ready.status).toBe(200);

    await s.redis.kill('SIGKILL');
    // A probe that hung on the dead store would fail this test by its timeout; no wall-clock assertion.
    const down = await fetch(`${s.gw.adminUrl}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'not-ready', checks: { store: 'failed', policy: 'ok', evidence: 'ok' } });
    // Liveness is unaffected; transfers with PI are refused (fail-closed) and counted as store errors.
    expect((await fetch(`${s.gw.adminUrl}/healthz`)).status).toBe(200);
    expect((await postJson(`${s.gw.dataUrl}/sg/v1/shipments`, batch(1, 2))).status).toBe(503);
    const metrics = await (await fetch(`${s.gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${s.gw.adminToken}` } })).text();
    expect(sample(metrics, 'xborder_store_errors_total', 'code="XB_STORE_UNAVAILABLE"')).toBeGreaterThanOrEqual(2);

    await s.redis.restart();
    const deadline = Date.now() + 20_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await fetch(`${s.gw.adminUrl}/readyz`)).status) !== 200) await new Promise((r) => setTimeout(r, 100));
    expect(status).toBe(200);
  });
});

if (!redisServerAvailable()) console.warn(REDIS_SKIP_MESSAGE);
