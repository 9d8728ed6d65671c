/**
 * Acceptance for issue 11 (replicas on Redis): three gateway processes with one config (each its
 * own gateway id) share one redis-server of the test's own and one evidence folder. Traffic goes
 * through all three; one is restarted while the other two carry on. Then: every counter equals the
 * persons the upstream received (ground truth kept by the test), every transfer id the upstream
 * received has its TRANSFER record, and one export over every chain verifies. A fourth replica
 * with another HMAC key is refused at start (XB_REPLICA_KEY_MISMATCH); one on another policy
 * revision serves, and the others report it in /api/status and /metrics. (The refusal in a year
 * with no counts yet, where no key pin exists, is test/unit/control/replicas.test.ts.)
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDay, chinaYear } from '../../agent/clock.js';
import type { Store } from '../../agent/count/store/index.js';
import { readRecords } from '../../agent/record/read.js';
import { deliveryRoute } from '../helpers/gateway.js';
import { openConfiguredStore, PACKS, pool, postJson, prng, startGatewayProcess, xborder, type Answer, type RunningGateway } from '../helpers/load.js';
import { REDIS_SKIP_MESSAGE, redisServerAvailable, startRedis, type RedisServer } from '../helpers/redis.js';
import { batchBody as body, type ShipmentBatch as Batch } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const KEY_PREFIX = 'xb-e2e-replicas';
const ADMIN_TOKEN = 'replica-test-admin-token-0123456789';

if (!redisServerAvailable()) console.warn(REDIS_SKIP_MESSAGE);

describe.skipIf(!redisServerAvailable())('three replicas on one Redis: restart, exact counts, evidence, key and policy checks', () => {
  let dir: string;
  let redis: RedisServer;
  let upstream: Upstream;
  let store: Store;
  const gateways: RunningGateway[] = [];
  const extra: RunningGateway[] = [];
  const year = chinaYear(new Date());

  /** One config for every replica; only the gateway id and data folder differ (and what a test overrides). */
  const config = (id: string, more: Record<string, unknown> = {}) => ({
    company: { name: 'Replica Test Live Commerce Co.', regime: 'guangxi' },
    gatewayId: id,
    dataDir: join(dir, id),
    listen: { data: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
    identity: { key: { file: join(dir, 'hmac.key') } },
    admin: { token: { file: join(dir, 'admin.token') } },
    policy: { dir: PACKS },
    evidence: { dir: join(dir, 'evidence') },
    store: { kind: 'redis', url: redis.url, keyPrefix: KEY_PREFIX, timeoutMs: 2000 },
    routes: [deliveryRoute('sg-logistics', upstream.url)],
    ...more,
  });
  const start = (id: string, more?: Record<string, unknown>) => startGatewayProcess(dir, config(id, more));
  const send = (g: RunningGateway, b: Batch): Promise<Answer> => postJson(`${g.dataUrl}/sg-logistics/v1/shipments?batch=${b.id}`, body(b));
  const admin = async (g: RunningGateway, path: string): Promise<{ status: number; text: string }> => {
    const res = await request(`${g.adminUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, headersTimeout: 10_000, bodyTimeout: 10_000 });
    return { status: res.statusCode, text: await res.body.text() };
  };
  const status = async (g: RunningGateway) => JSON.parse((await admin(g, '/api/status')).text) as { replicas: { replicas: { gatewayId: string; policyRevision: string; sameKey: boolean }[]; policyRevisions: string[]; policyDiverged: boolean } };

  /** Batches of 40 shippers drawn from 2,500: persons recur across batches and replicas. */
  const rand = prng(11);
  const batches = (prefix: string, n: number): Batch[] =>
    Array.from({ length: n }, (_, b) => ({ id: `${prefix}-${b}`, shippers: Array.from({ length: 40 }, () => Math.floor(rand() * 2_500)) }));
  const expectAllowed = (answers: readonly Answer[]) =>
    answers.forEach((a, i) => {
      expect(a.status, `answer ${i}: ${JSON.stringify(a.json)}`).toBe(201);
      expect(a.headers['x-xborder-decision']).toBe('allow');
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xb-e2e-replicas-'));
    writeFileSync(join(dir, 'hmac.key'), `${'7d'.repeat(32)}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'other.key'), `${'e1'.repeat(32)}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'admin.token'), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
    redis = await startRedis();
    upstream = await startUpstream();
    gateways.push(...(await Promise.all([0, 1, 2].map((i) => start(`replica-${i}`)))));
    store = await openConfiguredStore((gateways[0] as RunningGateway).configFile);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...gateways, ...extra].map((g) => g.stop()));
    await store?.close();
    await upstream?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts exactly, loses no evidence and exports one verifiable bundle across a restart of one replica', async () => {
    // Through all three.
    const first = batches('a', 45);
    expectAllowed(await pool(first.length, 9, (i) => send(gateways[i % 3] as RunningGateway, first[i] as Batch)));

    // replica-1 restarts (SIGTERM, same config) while the other two keep taking traffic.
    const second = batches('b', 30);
    const [during] = await Promise.all([
      pool(second.length, 6, (i) => send(gateways[i % 2 === 0 ? 0 : 2] as RunningGateway, second[i] as Batch)),
      (async () => {
        await (gateways[1] as RunningGateway).stop();
        gateways[1] = await start('replica-1');
      })(),
    ]);
    expectAllowed(during);

    // Through all three again, the restarted one included.
    const third = batches('c', 45);
    expectAllowed(await pool(third.length, 9, (i) => send(gateways[i % 3] as RunningGateway, third[i] as Batch)));

    // Ground truth: the persons of the bodies the upstream received, each once.
    const received = upstream.received.map((r) => JSON.parse(r.body.toString('utf8')) as { batch: string; shipments: { shipperPhone: string }[] });
    expect(received).toHaveLength(first.length + second.length + third.length);
    const truth = new Set(received.flatMap((r) => r.shipments.map((s) => s.shipperPhone)));
    expect(truth.size).toBeGreaterThan(1_000);
    expect(await store.counts(year)).toEqual(new Map([[LIMITED, truth.size]]));

    // No lost evidence: every transfer id the upstream received has its TRANSFER record, and an OUTCOME.
    const ids = upstream.received.map((r) => String(r.headers['x-xborder-transfer-id']));
    expect(new Set(ids).size).toBe(ids.length);
    const transfers = new Map<string, string>();
    const outcomes = new Set<string>();
    for (const { chain, record } of readRecords(join(dir, 'evidence'))) {
      if (record.kind === 'TRANSFER') transfers.set(record.transferId, chain);
      if (record.kind === 'OUTCOME') outcomes.add(record.transferId);
    }
    expect(ids.filter((id) => !transfers.has(id))).toEqual([]);
    expect(ids.filter((id) => !outcomes.has(id))).toEqual([]);
    expect(new Set(ids.map((id) => transfers.get(id)))).toEqual(new Set(['replica-0', 'replica-1', 'replica-2']));

    // One export over every chain (the shared evidence folder), and it verifies.
    const now = Date.now();
    const bundle = join(dir, 'bundle');
    const exported = xborder(['evidence', 'export', '--from', chinaDay(new Date(now - 86_400_000)), '--to', chinaDay(new Date(now)), '--out', bundle, '--config', (gateways[0] as RunningGateway).configFile], dir);
    expect(exported.status, exported.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as { chains: { gatewayId: string }[] };
    expect(manifest.chains.map((c) => c.gatewayId).sort()).toEqual(['replica-0', 'replica-1', 'replica-2']);
    const verified = xborder(['evidence', 'verify', bundle], dir);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);

    // The registry shows the three, on one key and one policy.
    const s = await status(gateways[2] as RunningGateway);
    expect(s.replicas.replicas.map((r) => [r.gatewayId, r.sameKey])).toEqual([
      ['replica-0', true],
      ['replica-1', true],
      ['replica-2', true],
    ]);
    expect(s.replicas.policyDiverged).toBe(false);
  }, 90_000);

  it('refuses to start a replica with another HMAC key than the running ones, before it counts anything', async () => {
    // The year already has a key pin here; the registry refuses first, naming the running replicas.
    const before = await store.counts(year);
    const err = await start('replica-k', { identity: { key: { file: join(dir, 'other.key') } } }).then(
      (g) => (extra.push(g), new Error('started')),
      (e: unknown) => e as Error,
    );
    expect(err.message).toContain('XB_REPLICA_KEY_MISMATCH');
    expect(err.message).toMatch(/running replicas replica-0, replica-1, replica-2/);
    expect(await store.counts(year)).toEqual(before);
    expect((await store.replicas(60_000)).map((r) => r.gatewayId)).toEqual(['replica-0', 'replica-1', 'replica-2']);
  }, 40_000);

  it('serves on a replica with another policy revision and reports the divergence in /api/status and /metrics', async () => {
    const packs = join(dir, 'packs-next');
    cpSync(PACKS, packs, { recursive: true });
    appendFileSync(join(packs, 'cn-national.yaml'), '\n# next revision (rolling update)\n');
    const next = await start('replica-next', { policy: { dir: packs } });
    extra.push(next);

    const answer = await send(next, { id: 'next-0', shippers: [1, 2, 3] });
    expect(answer.status, JSON.stringify(answer.json)).toBe(201);

    const s = await status(gateways[0] as RunningGateway);
    expect(s.replicas.policyDiverged).toBe(true);
    expect(s.replicas.policyRevisions).toHaveLength(2);
    const revisions = new Map(s.replicas.replicas.map((r) => [r.gatewayId, r.policyRevision]));
    expect(revisions.get('replica-next')).not.toBe(revisions.get('replica-0'));
    const metrics = (await admin(gateways[1] as RunningGateway, '/metrics')).text;
    expect(metrics).toMatch(/^xborder_replica_policy_revisions 2$/m);
    expect(metrics).toMatch(/^xborder_replicas 4$/m);
    expect(metrics).toMatch(/^xborder_replica_info\{gateway="replica-next",policy_revision="[0-9a-f]{12}",version="[^"]+"\} 1$/m);

    // Once it stops (its entry removed), the replicas agree again: the status reads the registry at
    // most once a second, so poll, bounded.
    await next.stop();
    let diverged = true;
    for (let i = 0; i < 50 && diverged; i++) {
      await new Promise((r) => setTimeout(r, 100));
      diverged = (await status(gateways[0] as RunningGateway)).replicas.policyDiverged;
    }
    expect(diverged).toBe(false);
  }, 40_000);
});
