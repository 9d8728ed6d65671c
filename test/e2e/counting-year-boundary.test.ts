/**
 * Counting years are calendar years in China time (DESIGN, count: 1 Jan 00:00 +08:00): a transfer
 * one second before midnight counts in the old year, one at midnight in the new one, where every
 * person starts uncounted again. Checked on the embedded store and on Redis, through an in-process
 * gateway whose clock the test sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../agent/clock.js';
import { openStore } from '../../agent/count/store/index.js';
import { deliveryRoute, postJson, testEnv } from '../helpers/gateway.js';
import { REDIS_SKIP_MESSAGE, redisServerAvailable, startRedis, type RedisServer } from '../helpers/redis.js';
import { shipment } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const LAST_SECOND = new Date('2026-12-31T23:59:59+08:00');
const MIDNIGHT = new Date('2027-01-01T00:00:00+08:00');

const batch = (persons: number[], tag: string) => ({ shipments: persons.map((n, i) => shipment(n, `${tag}-${i}`)) });

if (!redisServerAvailable()) console.warn(REDIS_SKIP_MESSAGE);

describe('the counting year turns at midnight China time', () => {
  let upstream: Upstream;
  let redis: RedisServer | undefined;

  beforeAll(async () => {
    upstream = await startUpstream();
    if (redisServerAvailable()) redis = await startRedis();
  });

  afterAll(async () => {
    await upstream?.close();
    await redis?.stop();
  });

  const stores = [
    { name: 'embedded store', store: (): Record<string, unknown> | undefined => undefined, needsRedis: false },
    { name: 'Redis', store: () => ({ kind: 'redis', url: redis?.url, keyPrefix: 'xb-year-boundary', timeoutMs: 2000 }), needsRedis: true },
  ];

  for (const s of stores) {
    it.skipIf(s.needsRedis && !redisServerAvailable())(`${s.name}: 23:59:59 on 31 Dec counts in 2026, 00:00:00 on 1 Jan in 2027`, async () => {
      const env = testEnv();
      let now = LAST_SECOND;
      const clock: Clock = { now: () => now };
      const store = s.store();
      const gw = await env.start({ routes: [deliveryRoute('sg', upstream.url)], ...(store ? { store } : {}) }, clock).catch((err: unknown) => {
        env.cleanup();
        throw err;
      });
      try {
        // Shippers 1-5 one second before midnight (UTC 15:59:59, still 2026 in China).
        expect(LAST_SECOND.toISOString()).toBe('2026-12-31T15:59:59.000Z');
        const before = await postJson(`${gw.dataUrl}/sg/orders`, batch([1, 2, 3, 4, 5], 'A'));
        expect(before.status).toBe(201);

        // Shippers 3-8 at midnight: 3, 4 and 5 were counted in 2026, and are new again in 2027.
        now = MIDNIGHT;
        const after = await postJson(`${gw.dataUrl}/sg/orders`, batch([3, 4, 5, 6, 7, 8], 'B'));
        expect(after.status).toBe(201);
      } finally {
        await gw.close();
      }

      const opened = await openStore(gw.config.store);
      try {
        expect(await opened.counts(2026)).toEqual(new Map([[LIMITED, 5]]));
        expect(await opened.counts(2027)).toEqual(new Map([[LIMITED, 6]]));
        expect(await opened.counts(2025)).toEqual(new Map());
        // Each year is pinned to the identity key it was counted under.
        const fp = await opened.keyFingerprint(2026);
        expect(fp).toMatch(/^[0-9a-f]{64}$/);
        expect(await opened.keyFingerprint(2027)).toBe(fp);
      } finally {
        await opened.close();
        env.cleanup();
      }
    });
  }
});
