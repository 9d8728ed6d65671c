/**
 * A counter at the 2,000,000 threshold and past it, exact to the person, on both stores (a store
 * property, so through the store API, not HTTP): 1,999,990 persons in batches of 50,000 with
 * [2,000,000, ∞) blocked; 10 new refused, 9 admitted, 1 more refused, repeats still admitted; the
 * pre-estimate path (count/index.ts) refuses a big batch without adding anyone; then, a filing
 * covering the range (nothing blocked), on to exactly 2,100,000, with the sketch within 2%.
 */
import { createCipheriv } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, type CountInput } from '../../agent/count/index.js';
import { estimate } from '../../agent/count/hll.js';
import type { Range } from '../../agent/count/ranges.js';
import { openEmbeddedStore } from '../../agent/count/store/embedded.js';
import type { Store } from '../../agent/count/store/index.js';
import { openRedisStore } from '../../agent/count/store/redis.js';
import { sketchName } from '../../agent/count/store/types.js';
import type { Counter } from '../../agent/policy/types.js';
import { REDIS_SKIP_MESSAGE, redisServerAvailable, startRedis, type RedisServer } from '../helpers/redis.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const YEAR = 2026;
const FP = 'd'.repeat(64);
const TWO_MILLION = 2_000_000;
const FINAL = 2_100_000;
const BATCH = 50_000;
const BLOCKED: readonly Range[] = [{ min: TWO_MILLION, max: undefined }];
const OPEN: readonly Range[] = [];
const KEYS = 2_400_000;

/**
 * Person i: block i of an AES-128-CTR keystream under a fixed key. Uniform bits, as a real HMAC
 * person key (the sketch reads its registers from the key), every block distinct (AES is a
 * permutation of distinct counters), the same on every run, and 38 MB made in well under a second.
 */
const keystream = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16)).update(Buffer.alloc(KEYS * 16));
const persons = (from: number, n: number): Buffer[] => Array.from({ length: n }, (_, i) => keystream.subarray((from + i) * 16, (from + i + 1) * 16));

const entry = (members: Buffer[], blocked: readonly Range[]) => [{ counter: LIMITED, members, blocked }];
const delta = (before: number, added: number) => ({ counter: LIMITED, before, added, after: before + added });

/** The limited counter as count/index.ts receives it from the compiled policy. */
const COUNTER: Counter = { ref: LIMITED, id: 'limited', kind: 'limited', scope: undefined, rules: [] };

/** Sketch registers of each store once at 2,100,000, to compare the two. */
const sketches = new Map<string, Buffer>();

if (!redisServerAvailable()) console.warn(REDIS_SKIP_MESSAGE);

describe('2,100,000 persons on one counter', () => {
  let dir: string;
  let redis: RedisServer | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xb-two-million-'));
    if (redisServerAvailable()) redis = await startRedis();
  });

  afterAll(async () => {
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const backends = [
    { name: 'embedded store', needsRedis: false, open: async (): Promise<Store> => openEmbeddedStore(join(dir, 'store')) },
    {
      name: 'Redis',
      needsRedis: true,
      open: (): Promise<Store> => openRedisStore({ url: redis?.url as string, keyPrefix: 'xb-2m', timeoutMs: 10_000 }),
    },
  ];

  for (const backend of backends) {
    it.skipIf(backend.needsRedis && !redisServerAvailable())(`${backend.name}: refuses exactly at 2,000,000 and counts exactly to 2,100,000`, async () => {
      const store: Store = await backend.open();
      try {
        const add = (from: number, n: number, blocked: readonly Range[]) =>
          store.checkAndAdd(YEAR, FP, entry(persons(from, n), blocked), { expectCounted: from > 0, unions: [] });
        const exact = async () => (await store.counts(YEAR)).get(LIMITED);

        // 1,999,990 distinct persons, 40 batches, [2,000,000, ∞) blocked: all admitted.
        for (let from = 0; from < TWO_MILLION - 10; from += BATCH) {
          const n = Math.min(BATCH, TWO_MILLION - 10 - from);
          expect(await add(from, n, BLOCKED), `batch from ${from}`).toEqual({ admitted: true, counters: [delta(from, n)] });
        }
        expect(await exact()).toBe(1_999_990);

        // 10 new would reach 2,000,000: refused, nobody added.
        expect(await add(1_999_990, 10, BLOCKED)).toEqual({ admitted: false, counters: [delta(1_999_990, 10)] });
        expect(await exact()).toBe(1_999_990);
        // 9 of them: 1,999,999, admitted.
        expect(await add(1_999_990, 9, BLOCKED)).toEqual({ admitted: true, counters: [delta(1_999_990, 9)] });
        expect(await exact()).toBe(1_999_999);
        // One more new person: refused.
        expect(await add(1_999_999, 1, BLOCKED)).toEqual({ admitted: false, counters: [delta(1_999_999, 1)] });
        // Only persons already counted (sent again) stay below: admitted, nobody added.
        expect(await add(1_000_000, 5_000, BLOCKED)).toEqual({ admitted: true, counters: [delta(1_999_999, 0)] });
        // The same repeats with one new person among them: refused.
        const mixed = [...persons(1_000_000, 5_000), ...persons(1_999_999, 1)];
        expect(await store.checkAndAdd(YEAR, FP, entry(mixed, BLOCKED), { expectCounted: true, unions: [] })).toEqual({
          admitted: false,
          counters: [delta(1_999_999, 1)],
        });
        expect(await exact()).toBe(1_999_999);

        // Through count(), which runs the batch pre-estimate (count/estimate.ts) first.
        const viaCount = (from: number, n: number) => {
          const members = persons(from, n);
          const input: CountInput = {
            plan: { persons: members, counters: [{ counter: COUNTER, persons: members.map((_, i) => i) }] },
            year: YEAR,
            keyFingerprint: FP,
            blockedRanges: () => BLOCKED,
          };
          return count(store, input, { expectCounted: true, unions: [] });
        };
        // 50,000 new persons at 1,999,999: refused, nobody added.
        const fifty = await viaCount(2_000_000, BATCH);
        expect(fifty.admitted).toBe(false);
        expect(fifty.counters[0]).toMatchObject({ counter: LIMITED, before: 1_999_999 });
        expect(fifty.counters[0]?.after).toBeGreaterThanOrEqual(TWO_MILLION);
        expect(await exact()).toBe(1_999_999);
        // 300,000 new persons, far past it: refused from the bounds alone (estimated), nobody added.
        const far = await viaCount(2_100_000, 300_000);
        expect(far.admitted).toBe(false);
        expect(far.counters[0]).toMatchObject({ counter: LIMITED, before: 1_999_999, estimated: true });
        expect(far.counters[0]?.after).toBeGreaterThanOrEqual(TWO_MILLION);
        expect(await exact()).toBe(1_999_999);

        // A filing now covers the range (nothing blocked): on to exactly 2,100,000.
        for (let from = 1_999_999; from < FINAL; from += BATCH) {
          const n = Math.min(BATCH, FINAL - from);
          expect(await add(from, n, OPEN), `batch from ${from}`).toEqual({ admitted: true, counters: [delta(from, n)] });
        }
        expect(await store.counts(YEAR)).toEqual(new Map([[LIMITED, FINAL]]));
        // Those refused earlier and never admitted are still not counted.
        const peeked = await store.peek(YEAR, entry(persons(2_100_000, 10_000), OPEN));
        expect(peeked.counters).toEqual([delta(FINAL, 10_000)]);

        const registers = await store.sketch(YEAR, sketchName.counter(LIMITED));
        expect(registers).toBeDefined();
        const estimated = estimate(registers as Buffer);
        expect(Math.abs(estimated - FINAL) / FINAL, `estimate ${Math.round(estimated)}`).toBeLessThanOrEqual(0.02);
        sketches.set(backend.name, registers as Buffer);
      } finally {
        await store.close();
      }
    });
  }

  it.skipIf(!redisServerAvailable())('both stores hold the same sketch of the same persons', () => {
    expect(sketches.size, 'run with both stores').toBe(2);
    const [a, b] = [...sketches.values()] as [Buffer, Buffer];
    expect(a.equals(b)).toBe(true);
  });
});
