/**
 * Acceptance for counting on Redis across replicas (DESIGN, "Where a user outgrows one machine"):
 * three gateway processes share one redis-server of the test's own, 50 concurrent clients send
 * live-commerce shipment batches with persons shared across clients and batches, and the test keeps
 * its own ground truth: the persons of every transfer the upstream received. Below the threshold
 * every counter equals that truth exactly; at the threshold (Guangxi 2025 list, live commerce,
 * item 6: 100,000 on the limited counter, no filing) concurrent batches race for the last places,
 * and no two replicas may both let one through.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaYear } from '../../agent/clock.js';
import type { Store } from '../../agent/count/store/index.js';
import { loadIdentityKey, type IdentityKey } from '../../agent/identify/key.js';
import { verifyEvidence } from '../../agent/record/index.js';
import { deliveryRoute } from '../helpers/gateway.js';
import { openConfiguredStore, PACKS, phoneKey, pool, postJson, prng, startGatewayProcess, type Answer, type RunningGateway } from '../helpers/load.js';
import { REDIS_SKIP_MESSAGE, redisServerAvailable, startRedis, type RedisServer } from '../helpers/redis.js';
import { batchBody as body, buyerPhone, shipperPhone, type ShipmentBatch as Batch } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';
const THRESHOLD = 100_000;
const REPLICAS = 3;
const CLIENTS = 50;
const KEY_PREFIX = 'xb-replicas';

/**
 * The counter a batch counts on (count/plan.ts): item 6's listed data items only → limited; a
 * buyer's name and phone are not listed → general, shippers and buyers alike.
 */
const counterOf = (b: Batch): string => (b.buyers ? GENERAL : LIMITED);
const phonesOf = (b: Batch): string[] => [...b.shippers.map(shipperPhone), ...(b.buyers ?? []).map(buyerPhone)];

/** Ground truth: per counter, the phones of persons whose transfer was forwarded. */
class Truth {
  readonly sets = new Map<string, Set<string>>([
    [LIMITED, new Set()],
    [GENERAL, new Set()],
  ]);
  add(counter: string, phones: Iterable<string>): void {
    const set = this.sets.get(counter) as Set<string>;
    for (const p of phones) set.add(p);
  }
  sizes(): Map<string, number> {
    return new Map([...this.sets].filter(([, s]) => s.size > 0).map(([c, s]) => [c, s.size]));
  }
}

/** What the upstream received, per counter, read back from the bodies it recorded. */
function receipts(upstream: Upstream, from = 0): { batches: Set<string>; truth: Truth } {
  const truth = new Truth();
  const batches = new Set<string>();
  for (const r of upstream.received.slice(from)) {
    const parsed = JSON.parse(r.body.toString('utf8')) as { batch: string; shipments: { shipperPhone: string; buyerPhone?: string }[] };
    batches.add(parsed.batch);
    const general = parsed.shipments.some((s) => s.buyerPhone !== undefined);
    truth.add(
      general ? GENERAL : LIMITED,
      parsed.shipments.flatMap((s) => (s.buyerPhone !== undefined ? [s.shipperPhone, s.buyerPhone] : [s.shipperPhone])),
    );
  }
  return { batches, truth };
}

if (!redisServerAvailable()) console.warn(REDIS_SKIP_MESSAGE);

describe.skipIf(!redisServerAvailable())('exact counts across three gateway replicas sharing one Redis', () => {
  let dir: string;
  let redis: RedisServer;
  let upstream: Upstream;
  let store: Store;
  let identity: IdentityKey;
  const gateways: RunningGateway[] = [];
  const truth = new Truth();
  const year = chinaYear(new Date());

  /** Does the store hold every one of these persons on `counter`? (peek: how many would be new) */
  const missing = async (counter: string, phones: Iterable<string>): Promise<number> => {
    const members = [...new Set(phones)].map((p) => phoneKey(identity.key, p));
    let fresh = 0;
    for (let i = 0; i < members.length; i += 20_000) {
      const peeked = await store.peek(year, [{ counter, members: members.slice(i, i + 20_000), blocked: [] }]);
      fresh += peeked.counters[0]?.added ?? 0;
    }
    return fresh;
  };

  const send = (i: number, b: Batch): Promise<Answer> =>
    postJson(`${(gateways[i % REPLICAS] as RunningGateway).dataUrl}/sg-logistics/v1/shipments?batch=${b.id}`, body(b));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xb-replicas-'));
    const keyFile = join(dir, 'hmac.key');
    writeFileSync(keyFile, `${'5c'.repeat(32)}\n`, { mode: 0o600 });
    identity = loadIdentityKey({ file: keyFile, generatedFile: join(dir, 'unused.key') });
    redis = await startRedis();
    upstream = await startUpstream();
    const storeConfig = { kind: 'redis' as const, url: redis.url, keyPrefix: KEY_PREFIX, timeoutMs: 2000 };
    const started = await Promise.all(
      Array.from({ length: REPLICAS }, (_, i) =>
        startGatewayProcess(dir, {
          company: { name: 'Replica Test Live Commerce Co.', regime: 'guangxi' },
          gatewayId: `replica-${i}`,
          dataDir: join(dir, `replica-${i}`),
          listen: { data: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
          identity: { key: { file: keyFile } },
          policy: { dir: PACKS },
          // One evidence folder: each replica writes its own chain in its own sub-folder.
          evidence: { dir: join(dir, 'evidence') },
          store: storeConfig,
          routes: [deliveryRoute('sg-logistics', upstream.url)],
        }),
      ),
    );
    gateways.push(...started);
    store = await openConfiguredStore((gateways[0] as RunningGateway).configFile);
  });

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await store?.close();
    await upstream?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts each distinct person once across replicas: every counter equals the forwarded persons', async () => {
    // 300 batches of 150 records; 8,000 shippers and 2,000 buyers shared by all of them, so the
    // same person arrives at the same moment through different replicas; every third batch also
    // carries buyers (general counter).
    const rand = prng(1);
    const batches: Batch[] = Array.from({ length: 300 }, (_, b) => {
      const shippers = Array.from({ length: 150 }, () => Math.floor(rand() * 8_000));
      const buyers = b % 3 === 2 ? Array.from({ length: 150 }, () => Math.floor(rand() * 2_000)) : undefined;
      return { id: `p1-${b}`, shippers, ...(buyers ? { buyers } : {}) };
    });
    const answers = await pool(batches.length, CLIENTS, (i) => send(i, batches[i] as Batch));

    answers.forEach((a, i) => {
      expect(a.status, `batch ${i}: ${JSON.stringify(a.json)}`).toBe(201);
      expect(a.headers['x-xborder-decision']).toBe('allow');
      const b = batches[i] as Batch;
      truth.add(counterOf(b), phonesOf(b));
    });
    // The upstream got exactly these batches, and nothing else.
    const received = receipts(upstream);
    expect(received.batches).toEqual(new Set(batches.map((b) => b.id)));
    expect(received.truth.sizes()).toEqual(truth.sizes());

    // The authoritative exact sets, read from Redis, equal the truth, counter by counter.
    const counts = await store.counts(year);
    expect(counts).toEqual(truth.sizes());
    expect(counts.get(LIMITED)).toBeGreaterThan(5_000);
    expect(counts.get(GENERAL)).toBeGreaterThan(4_000);
    for (const [counter, set] of truth.sets) expect(await missing(counter, set), `persons of ${counter} not in Redis`).toBe(0);
    // Every replica served its share (round robin), each with one decision line per transfer.
    for (const [i, g] of gateways.entries()) {
      const served = batches.filter((_, b) => b % REPLICAS === i).length;
      expect(g.proc.output().split('\n').filter((l) => l.includes('"msg":"xborder.decision"')).length, g.id).toBe(served);
    }
    expect(await store.keyFingerprint(year)).toBe(identity.fingerprint);
  });

  it('lets no two replicas both slip under 100,000 on the limited counter (item 6, no filing)', async () => {
    // Pre-load the limited counter to 99,000 through the store API, keyed as the gateways key
    // shippers (HMAC of the normalized mobile number under the same identity key).
    const FLOOR = THRESHOLD - 1_000;
    const preload: string[] = [];
    for (let n = 1_000_000; preload.length < FLOOR - (truth.sets.get(LIMITED) as Set<string>).size; n++) preload.push(shipperPhone(n));
    for (let i = 0; i < preload.length; i += 50_000) {
      const members = preload.slice(i, i + 50_000).map((p) => phoneKey(identity.key, p));
      const added = await store.checkAndAdd(year, identity.fingerprint, [{ counter: LIMITED, members, blocked: [] }], { expectCounted: true, unions: [] });
      expect(added.admitted).toBe(true);
    }
    truth.add(LIMITED, preload);
    expect((await store.counts(year)).get(LIMITED)).toBe(FLOOR);

    // The gateways key those persons the same way: a batch of pre-loaded shippers adds nobody.
    const known: Batch = { id: 'p2-known', shippers: Array.from({ length: 100 }, (_, i) => 1_000_000 + i * 17) };
    const first = await send(0, known);
    expect(first.status).toBe(201);
    expect((await store.counts(year)).get(LIMITED)).toBe(FLOOR);
    const forwardedBefore = upstream.received.length;

    // 60 batches fired at once, 50 clients, round robin: each has 50 shippers drawn from a pool of
    // 1,500 new ones (shared between batches), 20 pre-loaded and 10 from the first test. Together
    // they would add far more than the 999 places left below 100,000.
    const rand = prng(2);
    const phase1 = [...(truth.sets.get(LIMITED) as Set<string>)].filter((p) => Number(p.slice(3)) < 1_000_000).map((p) => Number(p.slice(3)));
    const racing: Batch[] = Array.from({ length: 60 }, (_, b) => ({
      id: `p2-${b}`,
      shippers: [
        ...Array.from({ length: 50 }, () => 2_000_000 + Math.floor(rand() * 1_500)),
        ...Array.from({ length: 20 }, () => 1_000_000 + Math.floor(rand() * preload.length)),
        ...Array.from({ length: 10 }, () => phase1[Math.floor(rand() * phase1.length)] as number),
      ],
    }));
    const candidates = new Set(racing.flatMap((b) => b.shippers.filter((n) => n >= 2_000_000)));
    expect(candidates.size, 'the batches together must cross the threshold').toBeGreaterThan(THRESHOLD - FLOOR);

    const answers = await pool(racing.length, CLIENTS, (i) => send(i + 1, racing[i] as Batch));
    const admitted = racing.filter((_, i) => answers[i]?.status === 201);
    const refused = racing.map((b, i) => ({ b, a: answers[i] as Answer })).filter(({ a }) => a.status === 451);
    expect(admitted.length + refused.length, `statuses ${answers.map((a) => a.status).join(',')}`).toBe(racing.length);
    expect(admitted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const b of admitted) truth.add(LIMITED, phonesOf(b));

    // (a) The counter stayed below the threshold, and (b) equals the persons the upstream received.
    const counts = await store.counts(year);
    const final = counts.get(LIMITED) as number;
    expect(final).toBeLessThan(THRESHOLD);
    expect(counts).toEqual(truth.sizes());
    const received = receipts(upstream, forwardedBefore);
    expect(received.batches).toEqual(new Set(admitted.map((b) => b.id)));
    expect(final).toBe(new Set([...(truth.sets.get(LIMITED) as Set<string>), ...(received.truth.sets.get(LIMITED) as Set<string>)]).size);

    // (c) Every refusal names item 6 and would really have reached 100,000 at its turn: before +
    // added ≥ 100,000, and `added` counts at least the persons of the batch that are still not
    // counted now (the counter only grows, so they were new then).
    const counted = truth.sets.get(LIMITED) as Set<string>;
    for (const { b, a } of refused) {
      expect(a.json).toMatchObject({ code: 'XB_DECISION_BLOCKED', decision: 'block', reason: 'threshold-uncovered' });
      const rule = (a.json.rules as { item: number; counter: string; before: number; added: number }[]).find((r) => r.counter === LIMITED);
      expect(rule, JSON.stringify(a.json.rules)).toMatchObject({ item: 6 });
      const { before, added } = rule as { before: number; added: number };
      expect(before + added, b.id).toBeGreaterThanOrEqual(THRESHOLD);
      expect(before).toBeGreaterThanOrEqual(FLOOR);
      expect(before).toBeLessThanOrEqual(final);
      const stillNew = new Set(phonesOf(b).filter((p) => !counted.has(p))).size;
      expect(added, b.id).toBeGreaterThanOrEqual(stillNew);
      expect(added).toBeLessThanOrEqual(new Set(b.shippers).size);
    }

    // (d) Every person in every upstream receipt, both tests, is in Redis's exact set.
    const everything = receipts(upstream);
    for (const [counter, set] of everything.truth.sets) expect(await missing(counter, set), `forwarded persons of ${counter} not counted`).toBe(0);
  });

  it('leaves one verifiable evidence chain per replica', async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    for (const g of gateways) expect(await g.proc.exited, `${g.id}:\n${g.proc.output().slice(-2000)}`).toBe(0);
    const report = verifyEvidence(join(dir, 'evidence'));
    expect(report.chains.map((c) => c.errors)).toEqual(gateways.map(() => []));
    expect(report.ok).toBe(true);
  });
});
