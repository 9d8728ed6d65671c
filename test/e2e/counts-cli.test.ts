/**
 * `xborder counts show|rebuild` and `xborder backfill` as an operator runs them: real processes from
 * bin/xborder.js against the evidence and store a real gateway left. The evidence is the source of
 * truth (DESIGN, count): a deleted store is restored from it to exactly the counts it held, on the
 * embedded store and on Redis (127.0.0.1:6379, a prefix of the test's own, its keys deleted after).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDay } from '../../agent/clock.js';
import type { Gateway } from '../../agent/gateway.js';
import { loadConfig } from '../../agent/config/load.js';
import { rebuildCounts } from '../../agent/count/rebuild.js';
import { openStore } from '../../agent/count/store/index.js';
import { loadIdentityKey } from '../../agent/identify/key.js';
import { readRecords } from '../../agent/record/read.js';
import { counters, deliveryRoute, postJson, REPO, testEnv, type TestEnv } from '../helpers/gateway.js';
import { BIN } from '../helpers/process.js';
import { REDIS_SKIP_MESSAGE, redisServerAvailable, startRedis, type RedisServer } from '../helpers/redis.js';
import { shipment } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';
const SENSITIVE = 'guangxi-2025/live-commerce/sensitive';
/** The shared Redis on 127.0.0.1:6379 when it answers; else one of the test's own; else the Redis case is skipped. */
const SHARED_REDIS = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'PING'], { encoding: 'utf8' }).stdout?.trim() === 'PONG';
const REDIS_USABLE = SHARED_REDIS || redisServerAvailable();
if (!REDIS_USABLE) console.warn(REDIS_SKIP_MESSAGE);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `xborder ARGS` as its own process (async: an in-process gateway may be serving meanwhile). */
function xborder(args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, XB_HMAC_KEY: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

interface ShowReport {
  year: number;
  keyFingerprint: string | null;
  counters: { counter: string; kind: string; exact: number; estimated: number; thresholds: { item: number; reached: boolean; filing: string | null }[] }[];
  unions: { routes: { route: string; month: string; estimated: number }[]; recipients: unknown[]; months: { month: string; estimated: number }[] };
}

async function show(config: string, cwd: string): Promise<ShowReport> {
  const run = await xborder(['counts', 'show', '--config', config, '--json'], cwd);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as ShowReport;
}

const exactOf = (r: ShowReport): Record<string, number> => Object.fromEntries(r.counters.map((c) => [c.counter, c.exact]));

/** Shipper n for n in [from, to): item 6's listed data items only, so the limited counter. */
const shippers = (from: number, to: number, tag: string) => Array.from({ length: to - from }, (_, i) => shipment(from + i, `${tag}-${i}`));
/** Shippers with a buyer's name and phone beside them: not listed data, so the general counter. */
const withBuyers = (from: number, to: number, tag: string) =>
  shippers(from, to, tag).map((s, i) => ({ ...s, buyerName: `买家${from + i}`, buyerPhone: `137${String(from + i).padStart(8, '0')}` }));
/** An anchor under 14: sensitive whatever was sent; one person already needs item 7's contract (no filing here: refused live). */
const child = (n: number) => ({ anchorName: `小主播${n}`, anchorAge: 12, anchorPhone: `1360000${String(n).padStart(4, '0')}`, productCategory: '玩具' });

const stores = [
  { name: 'embedded', redis: false, skip: false },
  { name: 'redis', redis: true, skip: !REDIS_USABLE },
] as const;

describe('xborder counts and backfill', () => {
  let upstream: Upstream;

  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist', 'agent', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  describe.each(stores)('on the $name store', ({ redis, skip }) => {
    let env: TestEnv;
    let gw: Gateway | undefined;
    let config: string;
    let own: RedisServer | undefined;
    let redisUrl = 'redis://127.0.0.1:6379';
    const keyPrefix = `xb-counts-cli-${randomBytes(6).toString('hex')}`;

    /** Delete the store as a disaster would: the embedded store's folder, or every key of the prefix. */
    const deleteStore = async (): Promise<void> => {
      if (!redis) return rmSync(join(env.dir, 'data', 'store'), { recursive: true, force: true });
      const client = new Redis(redisUrl);
      try {
        const keys: string[] = [];
        for await (const batch of client.scanStream({ match: `{${keyPrefix}*`, count: 1000 }) as AsyncIterable<string[]>) keys.push(...batch);
        if (keys.length > 0) await client.del(...keys);
      } finally {
        client.disconnect();
      }
    };

    /** Two routes to two recipients, so the unions have more than one of each. */
    const start = async (): Promise<Gateway> => {
      const g = await env.start({
        ...(redis ? { store: { kind: 'redis', url: redisUrl, keyPrefix } } : {}),
        routes: [deliveryRoute('delivery', upstream.url), deliveryRoute('delivery-hk', upstream.url, { recipient: { name: 'HK Couriers Ltd', country: 'HK' } })],
      });
      config = join(env.dir, 'xborder.yaml');
      return g;
    };

    beforeAll(async () => {
      env = testEnv();
      if (redis && !skip && !SHARED_REDIS) {
        own = await startRedis();
        redisUrl = own.url;
      }
    });
    afterAll(async () => {
      await gw?.close();
      if (redis && !skip) await deleteStore();
      await own?.stop();
      env?.cleanup();
    });

    it.skipIf(skip)('shows the exact counts, and a deleted store is rebuilt from evidence to exactly the same counts', async () => {
      gw = await start();
      const send = (route: string, shipments: unknown[]) => postJson(`${gw?.dataUrl}/${route}/orders`, { shipments });
      expect((await send('delivery', shippers(0, 30, 'A'))).status).toBe(201);
      expect((await send('delivery', shippers(20, 45, 'B'))).status).toBe(201); // 15 new
      expect((await send('delivery-hk', withBuyers(100, 110, 'C'))).status).toBe(201); // 20 on general
      expect((await send('delivery', [child(1)])).status).toBe(451); // refused: adds nobody, restores nobody
      const live = await counters(gw);
      expect(live).toMatchObject({ [LIMITED]: 45, [GENERAL]: 20, [SENSITIVE]: 0 });
      await gw.close();
      gw = undefined;

      const before = await show(config, env.dir);
      expect(exactOf(before)).toEqual(live);
      expect(before.keyFingerprint).toMatch(/^[0-9a-f]{16}$/);
      const limited = before.counters.find((c) => c.counter === LIMITED);
      // 45 persons: an HLL of 2^14 registers is exact-ish this small, well within 5%.
      expect(Math.abs((limited?.estimated ?? 0) - 45)).toBeLessThanOrEqual(3);
      // Guangxi 2025 list, live commerce, item 6 sits on the limited counter; nobody files in this test.
      expect(limited?.thresholds.some((t) => t.item === 6 && !t.reached && t.filing === null)).toBe(true);
      expect(before.unions.routes.map((u) => u.route).sort()).toEqual(['delivery', 'delivery-hk']);
      expect(before.unions.months).toHaveLength(1);
      const text = await xborder(['counts', 'show', '--config', config], env.dir);
      expect(text.status).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`${LIMITED}\\s+limited\\s+45\\s`));
      expect(text.stdout).toContain('no filing covers it');

      await deleteStore();
      expect(Object.values(exactOf(await show(config, env.dir))).every((n) => n === 0)).toBe(true);

      const rebuilt = await xborder(['counts', 'rebuild', '--config', config], env.dir);
      expect(rebuilt.stderr).toBe('');
      expect(rebuilt.status).toBe(0);
      expect(rebuilt.stdout).toMatch(/evidence verified: gw-test \(\d+ records\)/);
      expect(rebuilt.stdout).toMatch(new RegExp(`${LIMITED}\\s+45\\s+45\\s+45`));
      const after = await show(config, env.dir);
      // The same members: the same exact counts, and the very same sketches and unions.
      expect(after).toEqual(before);

      // Sets: a second rebuild adds nobody.
      const again = await xborder(['counts', 'rebuild', '--config', config, '--json'], env.dir);
      expect(again.status).toBe(0);
      const result = JSON.parse(again.stdout) as { years: { counters: { counter: string; exact: number; evidence: number; added: number }[] }[] };
      expect(result.years[0]?.counters.find((c) => c.counter === LIMITED)).toEqual({ counter: LIMITED, exact: 45, evidence: 45, added: 0 });
      expect(await show(config, env.dir)).toEqual(before);
    });

    it.skipIf(skip)('refuses to rebuild from a tampered chain, or under another identity key', async () => {
      const copy = join(env.dir, 'evidence-copy');
      cpSync(join(env.dir, 'data', 'evidence'), copy, { recursive: true });
      const chainDir = join(copy, 'gw-test');
      const segment = join(chainDir, readdirSync(chainDir).find((f) => f.endsWith('.xbe')) as string);
      const bytes = readFileSync(segment);
      bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] as number) ^ 0x01;
      writeFileSync(segment, bytes);
      await deleteStore();
      const tampered = await xborder(['counts', 'rebuild', '--config', config, '--evidence', copy], env.dir);
      expect(tampered.status).toBe(1);
      expect(tampered.stderr).toContain('XB_EVIDENCE_CHAIN_BROKEN');
      expect(tampered.stderr).toContain('gw-test/segment-');
      // Nothing was added from the chains that did verify either.
      expect(Object.values(exactOf(await show(config, env.dir))).every((n) => n === 0)).toBe(true);

      const otherKey = join(env.dir, 'other.key');
      writeFileSync(otherKey, 'b'.repeat(64), { mode: 0o600 });
      const other = join(env.dir, 'other.yaml');
      const cfg = parse(readFileSync(config, 'utf8')) as Record<string, any>;
      writeFileSync(other, stringify({ ...cfg, identity: { key: { file: otherKey } } }));
      const wrongKey = await xborder(['counts', 'rebuild', '--config', other], env.dir);
      expect(wrongKey.status).toBe(1);
      expect(wrongKey.stderr).toContain('XB_STORE_KEY_MISMATCH');
      expect(Object.values(exactOf(await show(config, env.dir))).every((n) => n === 0)).toBe(true);
    });

    it.skipIf(skip)('rebuilds while a gateway runs on the lost store; the gateway resumes once the year is back', async () => {
      gw = await start();
      // The store is empty and the evidence has this year's persons: transfers carrying PI wait.
      const lost = await postJson(`${gw.dataUrl}/delivery/orders`, { shipments: shippers(45, 46, 'D') });
      expect(lost.status).toBe(503);
      expect(lost.json.code).toBe('XB_STORE_LOST');
      const rebuilt = await xborder(['counts', 'rebuild', '--config', config], env.dir);
      expect(rebuilt.stderr).toBe('');
      expect(rebuilt.status).toBe(0);
      const res = await postJson(`${gw.dataUrl}/delivery/orders`, { shipments: shippers(45, 46, 'D') });
      expect(res.status).toBe(201);
      expect(await counters(gw)).toMatchObject({ [LIMITED]: 46, [GENERAL]: 20 });
      await gw.close();
      gw = undefined;
    });
  });

  describe('backfill', () => {
    let env: TestEnv;
    let config: string;
    const evidenceDir = () => join(env.dir, 'data', 'evidence');
    const backfills = () => [...readRecords(evidenceDir())].filter((r) => r.chain === 'gw-test-backfill' && r.record.kind === 'BACKFILL');

    beforeAll(async () => {
      env = testEnv();
      const gw = await env.start({ routes: [deliveryRoute('delivery', upstream.url)] });
      config = join(env.dir, 'xborder.yaml');
      expect((await postJson(`${gw.dataUrl}/delivery/orders`, { shipments: shippers(0, 10, 'L') })).status).toBe(201);
      await gw.close();
    });
    afterAll(() => env?.cleanup());

    it('counts a file’s distinct persons into the year, records it in the backfill chain, and adds nobody the second time', async () => {
      const file = join(env.dir, 'sent-before.csv');
      const rows = [...shippers(5, 25, 'P'), ...shippers(5, 10, 'Q')]; // persons 5-24: 20 distinct, 5-9 counted live already
      const header = Object.keys(rows[0] as object);
      writeFileSync(file, [header.join(','), ...rows.map((r) => header.map((h) => String((r as Record<string, unknown>)[h])).join(','))].join('\n'));
      const before = exactOf(await show(config, env.dir));
      expect(before[LIMITED]).toBe(10);

      const first = await xborder(['backfill', '--route', 'delivery', '--config', config, file], env.dir);
      expect(first.stderr).toBe('');
      expect(first.status).toBe(0);
      expect(first.stdout).toContain('20 distinct persons');
      expect(first.stdout).toContain(`${LIMITED}: 20 found, 15 new → 25`);
      expect(exactOf(await show(config, env.dir))[LIMITED]).toBe(25);

      const records = backfills();
      expect(records).toHaveLength(1);
      const t = records[0]?.record.transfer;
      expect(t).toMatchObject({ route: 'delivery', direction: 'backfill', admitted: true, year: Number(chinaDay(new Date()).slice(0, 4)) });
      expect(t?.persons).toHaveLength(20);
      const verify = await xborder(['evidence', 'verify', evidenceDir()], env.dir);
      expect(verify.status).toBe(0);
      expect(verify.stdout).toMatch(/gw-test-backfill: ok/);

      const second = await xborder(['backfill', '--route', 'delivery', '--config', config, '--date', chinaDay(new Date()), file], env.dir);
      expect(second.status).toBe(0);
      expect(second.stdout).toContain(`${LIMITED}: 20 found, 0 new → 25`);
      expect(exactOf(await show(config, env.dir))[LIMITED]).toBe(25);
      expect(backfills()).toHaveLength(2);
    });

    it('counts what live traffic would refuse, and says which thresholds the counts already stand in', async () => {
      const file = join(env.dir, 'anchors.json');
      writeFileSync(file, JSON.stringify({ shipments: [child(1), child(2)] }));
      const run = await xborder(['backfill', '--route', 'delivery', '--config', config, file], env.dir);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      // Guangxi 2025 list, live commerce, item 7: any sensitive person needs a standard contract.
      expect(run.stdout).toMatch(new RegExp(`already past 1 ≤ n < 10,000 on ${SENSITIVE}: needs standard-contract-or-certification \\(.+\\)`));
      expect(exactOf(await show(config, env.dir))[SENSITIVE]).toBe(2);
      // Nothing was refused: recorded as a flag that enforcement would have blocked.
      expect(backfills().at(-1)?.record.transfer).toMatchObject({ decision: 'flag', enforceWouldBlock: true, admitted: true });
    });

    it('refuses a future date and an uninspectable file, counting nothing for them', async () => {
      const good = join(env.dir, 'more.json');
      writeFileSync(good, JSON.stringify({ shipments: shippers(500, 503, 'F') }));
      const records = backfills().length;
      const counts = exactOf(await show(config, env.dir));

      const tomorrow = chinaDay(new Date(Date.now() + 86_400_000));
      const future = await xborder(['backfill', '--route', 'delivery', '--config', config, '--date', tomorrow, good], env.dir);
      expect(future.status).toBe(2);
      expect(future.stderr).toContain('in the future');

      const broken = join(env.dir, 'broken.json');
      writeFileSync(broken, '{"shipments": [');
      const bad = await xborder(['backfill', '--route', 'delivery', '--config', config, broken, join(env.dir, 'missing.json')], env.dir);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain(`${broken}: cannot be inspected on route delivery: XB_PARSE_INVALID_JSON`);
      expect(bad.stderr).toContain('missing.json: cannot be read (ENOENT); nothing counted for it');

      expect(exactOf(await show(config, env.dir))).toEqual(counts);
      expect(backfills()).toHaveLength(records);
    });

    it('is restored by counts rebuild with the gateway’s own evidence', async () => {
      const before = await show(config, env.dir);
      rmSync(join(env.dir, 'data', 'store'), { recursive: true, force: true });
      const rebuilt = await xborder(['counts', 'rebuild', '--config', config], env.dir);
      expect(rebuilt.status).toBe(0);
      expect(rebuilt.stdout).toContain('gw-test-backfill');
      expect(await show(config, env.dir)).toEqual(before);

      // Split into calls of 7 persons (transfers cut across calls): the same sets, the same sketches.
      rmSync(join(env.dir, 'data', 'store'), { recursive: true, force: true });
      const { config: cfg } = loadConfig(config);
      const store = await openStore(cfg.store);
      try {
        const result = await rebuildCounts(store, { dirs: [cfg.evidence.dir], keyFingerprint: loadIdentityKey(cfg.identity.key).fingerprint, batchMembers: 7 });
        expect(result.years.flatMap((y) => y.counters).every((c) => c.exact === c.evidence && c.added === c.evidence)).toBe(true);
      } finally {
        await store.close();
      }
      expect(await show(config, env.dir)).toEqual(before);
    });
  });
});
