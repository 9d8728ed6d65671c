/**
 * One counting contract (count/store/types.ts), run against every counter store: the embedded
 * LMDB store, Redis on one node, Redis Cluster and Redis behind Sentinel. Each test gets an empty
 * store of its own (a temp folder, or a unique key prefix that is deleted afterwards), so the
 * shared Redis on 127.0.0.1:6379 keeps nothing of ours. Real servers only; nothing asserts a time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addToRegisters, emptyRegisters, estimate, HLL_REGISTERS } from '../../../agent/count/hll.js';
import { openEmbeddedStore } from '../../../agent/count/store/embedded.js';
import { openRedisStore } from '../../../agent/count/store/redis.js';
import {
  sketchName,
  type CheckAndAddOptions,
  type CheckAndAddResult,
  type CounterStore,
  type FingerprintStore,
  type ReplicaRecord,
  type ReplicaStore,
  type StoredDelta,
} from '../../../agent/count/store/types.js';
import { XbError } from '../../../agent/errors.js';
import type { CountEntry } from '../../../agent/types.js';
import {
  REDIS_SKIP_MESSAGE,
  redisCli,
  redisServerAvailable,
  startCluster,
  startRedis,
  startSentinel,
  type RedisCluster,
  type RedisSentinel,
  type RedisServer,
} from '../../helpers/redis.js';
import { tempDir } from '../support/policy.js';

type Store = CounterStore & FingerprintStore & ReplicaStore;

const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';
const SENSITIVE = 'guangxi-2025/live-commerce/sensitive';
const FP = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const TIMEOUT_MS = 2000;

/**
 * Person `n`: 16 uniform bytes, as a real HMAC person key is (count/hll.ts reads its registers
 * from the key's own bits, so sequential keys would make every sketch useless).
 */
const person = (n: number): Buffer => createHash('sha256').update(`person ${n}`).digest().subarray(0, 16);
const people = (from: number, count: number): Buffer[] => Array.from({ length: count }, (_, i) => person(from + i));
const entry = (counter: string, members: Buffer[], blocked: CountEntry['blocked'] = []): CountEntry => ({ counter, members, blocked });
const options = (o: Partial<CheckAndAddOptions> = {}): CheckAndAddOptions => ({ expectCounted: false, unions: [], ...o });
const delta = (counter: string, before: number, added: number): StoredDelta => ({ counter, before, added, after: before + added });
const fpKey = (n: number): Buffer => Buffer.alloc(16, n);
/** Within 3% of the exact count (the sketch's standard error is 0.81%). */
const expectClose = (estimated: number, exact: number) => expect(Math.abs(estimated - exact)).toBeLessThanOrEqual(exact * 0.03);

const errorOf = (p: Promise<unknown>): Promise<unknown> => p.then(
  () => new Error('expected a rejection'),
  (e: unknown) => e,
);

/** Where one test's store lives: a folder or a key prefix, opened any number of times, removed after. */
interface Place {
  open(): Promise<Store>;
  remove(): Promise<void>;
}

interface Backend {
  readonly name: string;
  readonly kind: Store['kind'];
  readonly needsRedis: boolean;
  /** Instances for the concurrency test: Redis uses two connections, as two gateway replicas do. */
  readonly replicas: 1 | 2;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  place(): Promise<Place>;
}

const newPrefix = (): string => `xbtest-${randomBytes(6).toString('hex')}`;

/** Delete every key holding `prefix` from each node (one key at a time: a Cluster node refuses a multi-slot DEL). */
async function deleteKeys(ports: readonly number[], prefix: string): Promise<void> {
  for (const port of ports) {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) {
          const pipeline = client.pipeline();
          for (const key of keys) pipeline.unlink(key);
          await pipeline.exec();
        }
      } while (cursor !== '0');
    } finally {
      client.disconnect();
    }
  }
}

const embedded: Backend = {
  name: 'embedded',
  kind: 'embedded',
  needsRedis: false,
  replicas: 1,
  setup: async () => {},
  teardown: async () => {},
  async place() {
    const tmp = tempDir('store-contract');
    const path = join(tmp.dir, 'store');
    return { open: async () => openEmbeddedStore(path), remove: async () => tmp.remove() };
  },
};

/** The shared Redis on 127.0.0.1:6379; if none answers there, one of our own. */
const singleRedis = (): Backend => {
  let own: RedisServer | undefined;
  let port = 6379;
  return {
    name: 'redis',
    kind: 'redis',
    needsRedis: true,
    replicas: 2,
    async setup() {
      const shared = await redisCli(6379, 'PING').then((out) => out.trim() === 'PONG', () => false);
      if (!shared) {
        own = await startRedis();
        port = own.port;
      }
    },
    teardown: async () => own?.stop(),
    async place() {
      const keyPrefix = newPrefix();
      return {
        open: () => openRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix, timeoutMs: TIMEOUT_MS }),
        remove: () => deleteKeys([port], keyPrefix),
      };
    },
  };
};

const clusterRedis = (): Backend => {
  let cluster: RedisCluster | undefined;
  return {
    name: 'redis-cluster',
    kind: 'redis',
    needsRedis: true,
    replicas: 2,
    async setup() {
      cluster = await startCluster(3);
    },
    teardown: async () => cluster?.stop(),
    async place() {
      const keyPrefix = newPrefix();
      const { seeds, ports } = cluster as RedisCluster;
      return {
        open: () => openRedisStore({ cluster: seeds, keyPrefix, timeoutMs: TIMEOUT_MS }),
        remove: () => deleteKeys(ports, keyPrefix),
      };
    },
  };
};

const sentinelRedis = (): Backend => {
  let master: RedisServer | undefined;
  let sentinel: RedisSentinel | undefined;
  return {
    name: 'redis-sentinel',
    kind: 'redis',
    needsRedis: true,
    replicas: 2,
    async setup() {
      master = await startRedis();
      sentinel = await startSentinel(master);
    },
    async teardown() {
      await sentinel?.stop();
      await master?.stop();
    },
    async place() {
      const keyPrefix = newPrefix();
      const { name, sentinels } = sentinel as RedisSentinel;
      return {
        open: () => openRedisStore({ sentinel: { name, sentinels }, keyPrefix, timeoutMs: TIMEOUT_MS }),
        remove: () => deleteKeys([(master as RedisServer).port], keyPrefix),
      };
    },
  };
};

const BACKENDS: readonly Backend[] = [embedded, singleRedis(), clusterRedis(), sentinelRedis()];

if (!redisServerAvailable()) console.warn(REDIS_SKIP_MESSAGE);

for (const backend of BACKENDS) {
  const skip = backend.needsRedis && !redisServerAvailable();
  describe.skipIf(skip)(`${backend.name} store${skip ? ` (skipped: ${REDIS_SKIP_MESSAGE})` : ''}`, () => contract(backend));
}

function contract(backend: Backend): void {
  let place: Place;
  let store: Store;
  const opened = new Set<Store>();

  const open = async (): Promise<Store> => {
    const s = await place.open();
    opened.add(s);
    return s;
  };
  /** Close the store and open the same place again: a restart of the gateway. */
  const reopen = async (): Promise<void> => {
    opened.delete(store);
    await store.close();
    store = await open();
  };
  const add = (entries: CountEntry[], o?: Partial<CheckAndAddOptions>, year = 2025): Promise<CheckAndAddResult> =>
    store.checkAndAdd(year, FP, entries, options(o));

  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    place = await backend.place();
    store = await open();
  });
  afterEach(async () => {
    for (const s of opened) await s.close();
    opened.clear();
    await place.remove();
  });

  describe('checkAndAdd', () => {
    it(`counts new members and reports before, added and after (kind: ${backend.kind})`, async () => {
      expect(store.kind).toBe(backend.kind);
      expect(await store.counts(2025)).toEqual(new Map());
      const r = await add([entry(LIMITED, people(1, 3))]);
      expect(r).toEqual({ admitted: true, counters: [delta(LIMITED, 0, 3)] });
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 3]]));
    });

    it('does not add a known member again', async () => {
      await add([entry(LIMITED, people(1, 3))]);
      const again = await add([entry(LIMITED, people(2, 3))]); // 2, 3 known; 4 new
      expect(again).toEqual({ admitted: true, counters: [delta(LIMITED, 3, 1)] });
      const same = await add([entry(LIMITED, people(1, 4))]);
      expect(same).toEqual({ admitted: true, counters: [delta(LIMITED, 4, 0)] });
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 4]]));
    });

    it('counts a member repeated inside one entry once', async () => {
      // Copies, not the same Buffer objects: the store must compare bytes.
      const members = [person(1), Buffer.from(person(1)), person(2), Buffer.from(person(2)), Buffer.from(person(2))];
      const r = await add([entry(LIMITED, members)]);
      expect(r.counters).toEqual([delta(LIMITED, 0, 2)]);
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 2]]));
      expect((await add([entry(LIMITED, [person(1), person(3)])])).counters).toEqual([delta(LIMITED, 2, 1)]);
    });

    it('counts several counters in one transfer, a person once on each, in the order of the entries', async () => {
      await add([entry(GENERAL, people(1, 1))]);
      const r = await add([entry(GENERAL, people(1, 3)), entry(SENSITIVE, [person(2)]), entry(LIMITED, people(2, 2))]);
      expect(r).toEqual({ admitted: true, counters: [delta(GENERAL, 1, 2), delta(SENSITIVE, 0, 1), delta(LIMITED, 0, 2)] });
      expect(await store.counts(2025)).toEqual(new Map([[GENERAL, 3], [SENSITIVE, 1], [LIMITED, 2]]));
    });
  });

  describe('blocked ranges', () => {
    // count/ranges.ts `reaches`: a transfer moving a counter from before to after reaches [min, max)
    // when min <= after and before < max; also when it sits inside and adds nobody new.
    const UNBOUNDED = undefined;
    const cases: { description: string; prior: number; known: number; fresh: number; blocked: [number, number | undefined][]; admitted: boolean }[] = [
      { description: 'stops one short of the range: admitted', prior: 0, known: 0, fresh: 4, blocked: [[5, UNBOUNDED]], admitted: true },
      { description: "ends on the range's first person: refused", prior: 0, known: 0, fresh: 5, blocked: [[5, UNBOUNDED]], admitted: false },
      { description: 'ends inside the range: refused', prior: 4, known: 0, fresh: 2, blocked: [[5, 10]], admitted: false },
      { description: 'passes through the range: refused', prior: 4, known: 2, fresh: 8, blocked: [[5, 10]], admitted: false },
      { description: "starts at the range's upper end, past it: admitted", prior: 10, known: 0, fresh: 1, blocked: [[5, 10]], admitted: true },
      { description: 'sits inside the range and adds nobody new (the persons are still sent): refused', prior: 6, known: 3, fresh: 0, blocked: [[5, 10]], admitted: false },
      { description: 'sits past the range and adds nobody new: admitted', prior: 6, known: 3, fresh: 0, blocked: [[1, 5]], admitted: true },
      { description: 'sits below the range and adds nobody new: admitted', prior: 3, known: 3, fresh: 0, blocked: [[5, UNBOUNDED]], admitted: true },
      { description: 'lies between two ranges: admitted', prior: 6, known: 0, fresh: 1, blocked: [[1, 5], [100, UNBOUNDED]], admitted: true },
      { description: 'reaches the second of two ranges: refused', prior: 98, known: 1, fresh: 3, blocked: [[1, 5], [100, UNBOUNDED]], admitted: false },
    ];

    for (const { description, prior, known, fresh, blocked, admitted } of cases) it(`a transfer that ${description}`, async () => {
      if (prior > 0) await add([entry(LIMITED, people(0, prior))]);
      const members = [...people(0, known), ...people(1000, fresh)];
      const ranges = blocked.map(([min, max]) => ({ min, max }));
      const r = await add([entry(LIMITED, members, ranges)]);
      expect(r).toEqual({ admitted, counters: [delta(LIMITED, prior, fresh)] });
      const expected = admitted ? prior + fresh : prior;
      expect(await store.counts(2025)).toEqual(expected > 0 ? new Map([[LIMITED, expected]]) : new Map());
    });

    it('refuses a transfer when any one counter reaches a blocked range, and adds nobody on any counter', async () => {
      await add([entry(GENERAL, people(100, 2))]);
      const transfer = [
        entry(GENERAL, people(1, 3)),
        entry(LIMITED, people(1, 2)),
        // Sensitive has [1, 10 000) blocked (item 7, no filing); general and limited have none.
        entry(SENSITIVE, [person(2)], [{ min: 1, max: 10_000 }]),
      ];
      const r = await add(transfer);
      expect(r).toEqual({ admitted: false, counters: [delta(GENERAL, 2, 3), delta(LIMITED, 0, 2), delta(SENSITIVE, 0, 1)] });
      expect(await store.counts(2025)).toEqual(new Map([[GENERAL, 2]]));
      // Nobody of the refused transfer was remembered on any counter.
      const after = await store.peek(2025, transfer.map((e) => entry(e.counter, [...e.members])));
      expect(after).toEqual({ admitted: true, counters: [delta(GENERAL, 2, 3), delta(LIMITED, 0, 2), delta(SENSITIVE, 0, 1)] });
      // Sent again without the sensitive person, it is admitted and everyone is new.
      const retry = await add([entry(GENERAL, people(1, 3)), entry(LIMITED, people(1, 2))]);
      expect(retry).toEqual({ admitted: true, counters: [delta(GENERAL, 2, 3), delta(LIMITED, 0, 2)] });
      expect(await store.counts(2025)).toEqual(new Map([[GENERAL, 5], [LIMITED, 2]]));
    });

    it('adds nobody when the blocked counter comes first in the transfer', async () => {
      const r = await add([entry(SENSITIVE, [person(1)], [{ min: 1, max: 10_000 }]), entry(GENERAL, people(1, 2))]);
      expect(r).toEqual({ admitted: false, counters: [delta(SENSITIVE, 0, 1), delta(GENERAL, 0, 2)] });
      expect(await store.counts(2025)).toEqual(new Map());
      expect((await store.peek(2025, [entry(GENERAL, people(1, 2))])).counters).toEqual([delta(GENERAL, 0, 2)]);
    });

    it('admits a retry of a refused transfer once the range no longer applies (a filing arrived)', async () => {
      await add([entry(LIMITED, people(1, 4))]);
      const refused = await add([entry(LIMITED, people(5, 2), [{ min: 5, max: 10 }])]);
      expect(refused).toEqual({ admitted: false, counters: [delta(LIMITED, 4, 2)] });
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 4]]));
      const retry = await add([entry(LIMITED, people(5, 2))]);
      expect(retry).toEqual({ admitted: true, counters: [delta(LIMITED, 4, 2)] });
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 6]]));
    });
  });

  describe('identity key fingerprint', () => {
    it('pins the key fingerprint on the first add', async () => {
      expect(await store.keyFingerprint(2025)).toBeUndefined();
      await add([entry(LIMITED, people(1, 1))]);
      expect(await store.keyFingerprint(2025)).toBe(FP);
      await expect(store.checkKeyFingerprint(2025, FP)).resolves.toBeUndefined();
    });

    it('refuses another key on a counted year with XB_STORE_KEY_MISMATCH, and adds nobody', async () => {
      await add([entry(LIMITED, people(1, 3))]);
      const err = await errorOf(store.checkAndAdd(2025, OTHER, [entry(LIMITED, people(10, 1)), entry(GENERAL, people(10, 1))], options()));
      expect(err).toBeInstanceOf(XbError);
      expect((err as XbError).code).toBe('XB_STORE_KEY_MISMATCH');
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 3]]));
      expect(await store.keyFingerprint(2025)).toBe(FP);
      const checked = await errorOf(store.checkKeyFingerprint(2025, OTHER));
      expect(checked).toBeInstanceOf(XbError);
      expect((checked as XbError).code).toBe('XB_STORE_KEY_MISMATCH');
      await expect(store.checkKeyFingerprint(2027, OTHER)).resolves.toBeUndefined();
    });

    it('lets another year start under another key', async () => {
      await add([entry(LIMITED, people(1, 3))]);
      const next = await store.checkAndAdd(2026, OTHER, [entry(LIMITED, people(1, 1))], options());
      expect(next).toEqual({ admitted: true, counters: [delta(LIMITED, 0, 1)] });
      expect(await store.keyFingerprint(2026)).toBe(OTHER);
      expect(await store.keyFingerprint(2025)).toBe(FP);
    });
  });

  describe('a store that lost its counts (expectCounted)', () => {
    it('refuses with XB_STORE_LOST when the caller expects counts on a year with no pin, and adds nobody', async () => {
      const err = await errorOf(add([entry(LIMITED, people(1, 3)), entry(GENERAL, people(1, 1))], { expectCounted: true, unions: [sketchName.route('sg', '2025-03')] }));
      expect(err).toBeInstanceOf(XbError);
      expect((err as XbError).code).toBe('XB_STORE_LOST');
      expect(await store.counts(2025)).toEqual(new Map());
      // Not pinned either: a pin would let the next call count on from zero.
      expect(await store.keyFingerprint(2025)).toBeUndefined();
      expect(await store.sketchNames(2025)).toEqual([]);
      expect((await store.peek(2025, [entry(LIMITED, people(1, 3))])).counters).toEqual([delta(LIMITED, 0, 3)]);
      await expect(add([entry(LIMITED, people(1, 3))], { expectCounted: true })).rejects.toMatchObject({ code: 'XB_STORE_LOST' });
    });

    it('counts on once the year is pinned', async () => {
      await add([entry(LIMITED, people(1, 3))]);
      const r = await add([entry(LIMITED, people(3, 2))], { expectCounted: true });
      expect(r).toEqual({ admitted: true, counters: [delta(LIMITED, 3, 1)] });
    });

    it('adds without pinning when told not to (a rebuild), so gateways expecting the year keep refusing until the pin', async () => {
      const r = await add([entry(LIMITED, people(1, 3))], { pin: false });
      expect(r).toEqual({ admitted: true, counters: [delta(LIMITED, 0, 3)] });
      expect(await store.keyFingerprint(2025)).toBeUndefined();
      await expect(add([entry(LIMITED, people(4, 1))], { expectCounted: true })).rejects.toMatchObject({ code: 'XB_STORE_LOST' });
      await add([], { pin: true });
      expect(await store.keyFingerprint(2025)).toBe(FP);
      expect(await add([entry(LIMITED, people(4, 1))], { expectCounted: true })).toEqual({ admitted: true, counters: [delta(LIMITED, 3, 1)] });
      // A mismatching pin is refused with or without pinning.
      await expect(store.checkAndAdd(2025, 'f'.repeat(64), [entry(LIMITED, people(9, 1))], options({ pin: false }))).rejects.toMatchObject({ code: 'XB_STORE_KEY_MISMATCH' });
    });

    it('does not take one year’s pin for another’s', async () => {
      await add([entry(LIMITED, people(1, 3))]);
      await expect(add([entry(LIMITED, people(1, 3))], { expectCounted: true }, 2026)).rejects.toMatchObject({ code: 'XB_STORE_LOST' });
      expect(await store.counts(2026)).toEqual(new Map());
    });
  });

  describe('daily series', () => {
    it('adds the persons new to a counter to its China day, nothing for known or refused ones', async () => {
      await add([entry(LIMITED, people(1, 3))], { day: '2025-03-01' });
      await add([entry(LIMITED, people(3, 3))], { day: '2025-03-01' }); // 3 known, 4 and 5 new
      await add([entry(LIMITED, people(6, 1))], { day: '2025-03-02' });
      await add([entry(LIMITED, people(7, 5), [{ min: 8, max: undefined }])], { day: '2025-03-02' }); // refused
      expect(await store.daily(2025, LIMITED)).toEqual(new Map([['2025-03-01', 5], ['2025-03-02', 1]]));
      expect(await store.daily(2025, GENERAL)).toEqual(new Map());
      expect(await store.daily(2026, LIMITED)).toEqual(new Map());
    });
  });

  describe('years and peek', () => {
    it('counts each year on its own: a person of 2025 is new again in 2026', async () => {
      await add([entry(LIMITED, people(1, 3))], { unions: [sketchName.route('sg', '2025-12')] });
      const next = await add([entry(LIMITED, people(1, 2))], { unions: [sketchName.route('sg', '2026-01')] }, 2026);
      expect(next.counters).toEqual([delta(LIMITED, 0, 2)]);
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 3]]));
      expect(await store.counts(2026)).toEqual(new Map([[LIMITED, 2]]));
      expect(await store.counts(2024)).toEqual(new Map());
      expect((await store.sketchNames(2025)).sort()).toEqual([sketchName.counter(LIMITED), sketchName.route('sg', '2025-12')]);
      expect((await store.sketchNames(2026)).sort()).toEqual([sketchName.counter(LIMITED), sketchName.route('sg', '2026-01')]);
      expect(await store.sketchNames(2024)).toEqual([]);
    });

    it('peek finds what checkAndAdd would, and adds nobody', async () => {
      await add([entry(LIMITED, people(1, 3))]);
      const sketchBefore = await store.sketch(2025, sketchName.counter(LIMITED));
      const peeked = await store.peek(2025, [entry(LIMITED, people(2, 4))]);
      expect(peeked).toEqual({ admitted: true, counters: [delta(LIMITED, 3, 2)] }); // 2, 3 known; 4, 5 new
      const blocked = await store.peek(2025, [entry(LIMITED, people(2, 4), [{ min: 5, max: undefined }])]);
      expect(blocked).toEqual({ admitted: false, counters: [delta(LIMITED, 3, 2)] });
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 3]]));
      expect(await store.sketch(2025, sketchName.counter(LIMITED))).toEqual(sketchBefore);
      // On a year nobody was counted in: no pin, no counts, no sketches appear.
      expect((await store.peek(2027, [entry(GENERAL, people(1, 2))])).counters).toEqual([delta(GENERAL, 0, 2)]);
      expect(await store.keyFingerprint(2027)).toBeUndefined();
      expect(await store.counts(2027)).toEqual(new Map());
      expect(await store.sketchNames(2027)).toEqual([]);
      // And the add then finds exactly what the peek did.
      expect(await add([entry(LIMITED, people(2, 4))])).toEqual(peeked);
    });
  });

  describe('sketches', () => {
    it("keeps a sketch beside each counter: count/hll.ts's registers of its persons, close to the exact count", async () => {
      for (let from = 0; from < 20_000; from += 5_000) {
        // Each batch repeats 100 persons of the one before: they change neither count nor sketch.
        await add([entry(LIMITED, people(Math.max(0, from - 100), from === 0 ? 5_000 : 5_100))]);
      }
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 20_000]]));
      const registers = await store.sketch(2025, sketchName.counter(LIMITED));
      expect(registers).toBeInstanceOf(Buffer);
      expect(registers?.length).toBe(HLL_REGISTERS);
      expectClose(estimate(registers as Buffer), 20_000);
      const built = emptyRegisters();
      addToRegisters(built, people(0, 20_000));
      expect((registers as Buffer).equals(built)).toBe(true);
    });

    it('adds every admitted person of a transfer to its union sketches, and nobody of a refused one', async () => {
      const route = sketchName.route('sg-logistics', '2025-03');
      const month = sketchName.route('sg', '2025-03');
      const recipient = sketchName.recipient('acme', '2025-03');
      // 0-299 general, 200-399 sensitive: 400 distinct persons in the transfer.
      const first = await add([entry(GENERAL, people(0, 300)), entry(SENSITIVE, people(200, 200))], { unions: [route, month] });
      expect(first.admitted).toBe(true);
      const routeSketch = (await store.sketch(2025, route)) as Buffer;
      expect(routeSketch.length).toBe(HLL_REGISTERS);
      expectClose(estimate(routeSketch), 400);
      expect(await store.sketch(2025, month)).toEqual(routeSketch);
      const counterSketches = [await store.sketch(2025, sketchName.counter(GENERAL)), await store.sketch(2025, sketchName.counter(SENSITIVE))];

      // Refused (sensitive already sits in its blocked range): no sketch changes, none appears.
      const refused = await add(
        [entry(GENERAL, people(1000, 500)), entry(SENSITIVE, [person(1000)], [{ min: 1, max: 10_000 }])],
        { unions: [route, recipient] },
      );
      expect(refused.admitted).toBe(false);
      expect(await store.sketch(2025, route)).toEqual(routeSketch);
      expect(await store.sketch(2025, recipient)).toBeUndefined();
      expect([await store.sketch(2025, sketchName.counter(GENERAL)), await store.sketch(2025, sketchName.counter(SENSITIVE))]).toEqual(counterSketches);
      expect((await store.sketchNames(2025)).sort()).toEqual([sketchName.counter(GENERAL), sketchName.counter(SENSITIVE), month, route].sort());

      // Admitted: 200 new persons reach the route union only, not the month it was not named with.
      await add([entry(GENERAL, people(400, 200))], { unions: [route, recipient] });
      expectClose(estimate((await store.sketch(2025, route)) as Buffer), 600);
      expectClose(estimate((await store.sketch(2025, recipient)) as Buffer), 200);
      expect(await store.sketch(2025, month)).toEqual(routeSketch);
      expect((await store.sketchNames(2025)).sort()).toEqual([sketchName.counter(GENERAL), sketchName.counter(SENSITIVE), month, recipient, route].sort());
    });

    it('has no sketch for a name or a year nothing was added to', async () => {
      await add([entry(LIMITED, people(1, 3))], { unions: [sketchName.route('sg', '2025-01')] });
      expect(await store.sketch(2025, sketchName.route('none', '2025-01'))).toBeUndefined();
      expect(await store.sketch(2026, sketchName.route('sg', '2025-01'))).toBeUndefined();
      expect(await store.sketch(2026, sketchName.counter(LIMITED))).toBeUndefined();
    });
  });

  describe('concurrency', () => {
    it(`admits exactly as many of 40 concurrent transfers as stay below a blocked range (${backend.replicas} instance${backend.replicas === 2 ? 's, two connections' : ''})`, async () => {
      const instances = [store];
      if (backend.replicas === 2) instances.push(await open());
      const blocked = [{ min: 205, max: undefined }];
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (instances[i % instances.length] as Store).checkAndAdd(2025, FP, [entry(LIMITED, people(i * 10, 10), blocked)], options()),
        ),
      );
      const admitted = results.filter((r) => r.admitted).map((r) => r.counters[0] as StoredDelta);
      expect(admitted).toHaveLength(20);
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 200]]));
      // Each admitted transfer saw the one before it: a chain 0 → 10 → … → 200, no two on one `before`.
      admitted.sort((a, b) => a.before - b.before);
      expect(admitted[0]?.before).toBe(0);
      for (let i = 0; i < admitted.length; i++) {
        const d = admitted[i] as StoredDelta;
        expect(d.added).toBe(10);
        expect(d.after).toBe(d.before + 10);
        expect(d.after).toBe(admitted[i + 1]?.before ?? 200);
      }
      // Every refused one saw the counter at 200, where 10 more would reach 205.
      for (const r of results.filter((x) => !x.admitted)) expect(r.counters).toEqual([delta(LIMITED, 200, 10)]);
    });
  });

  describe('fingerprints', () => {
    it('registers fingerprints, says how many were new, lists and counts them', async () => {
      expect(await store.fingerprintCount()).toBe(0);
      expect(await store.addFingerprints([{ key: fpKey(1), length: 5 }, { key: fpKey(2), length: 9 }])).toBe(2);
      expect(await store.addFingerprints([{ key: fpKey(2), length: 9 }, { key: fpKey(3), length: 3 }, { key: fpKey(3), length: 3 }])).toBe(1);
      expect(await store.fingerprintCount()).toBe(3);
      const all = await store.fingerprints();
      expect(all.map((f) => [f.key.toString('hex'), f.length]).sort()).toEqual([
        [fpKey(1).toString('hex'), 5],
        [fpKey(2).toString('hex'), 9],
        [fpKey(3).toString('hex'), 3],
      ]);
      // Answered from what fingerprints() last loaded (a remote store cannot answer synchronously).
      expect(store.hasFingerprint(fpKey(3))).toBe(true);
      expect(store.hasFingerprint(fpKey(4))).toBe(false);
    });

    it('keeps fingerprints apart from the counts', async () => {
      await store.addFingerprints([{ key: fpKey(1), length: 5 }]);
      expect(await store.counts(2026)).toEqual(new Map());
      expect(await store.sketchNames(2026)).toEqual([]);
      await add([entry(LIMITED, [fpKey(1)])], {}, 2026);
      expect(await store.fingerprintCount()).toBe(1);
    });

    it('shows fingerprints registered through one instance to another once it loads them', async () => {
      const other = backend.replicas === 2 ? await open() : store;
      await store.addFingerprints([{ key: fpKey(7), length: 4 }]);
      expect((await other.fingerprints()).map((f) => f.key.toString('hex'))).toEqual([fpKey(7).toString('hex')]);
      expect(other.hasFingerprint(fpKey(7))).toBe(true);
      expect(await other.fingerprintCount()).toBe(1);
    });
  });

  describe('replica registry', () => {
    const TTL = 60_000;
    const replica = (gatewayId: string, keyFingerprint = FP, policyRevision = 'r1'): ReplicaRecord => ({ gatewayId, keyFingerprint, policyRevision, version: '0.1.0', startedMs: 1_700_000_000_123 });
    const ids = (rs: readonly { gatewayId: string }[]) => rs.map((r) => r.gatewayId);

    it('registers replicas, lists the live ones by gateway id with their key, policy and time, and removes one', async () => {
      expect(await store.replicas(TTL)).toEqual([]);
      const first = await store.registerReplica(replica('gw-b', FP, 'r1'), TTL);
      expect(first.registered).toBe(true);
      expect(ids(first.replicas)).toEqual(['gw-b']);
      const second = await store.registerReplica(replica('gw-a', FP, 'r2'), TTL);
      expect(second.registered).toBe(true);
      expect(second.replicas.map((r) => [r.gatewayId, r.keyFingerprint, r.policyRevision, r.version, r.startedMs])).toEqual([
        ['gw-a', FP, 'r2', '0.1.0', 1_700_000_000_123],
        ['gw-b', FP, 'r1', '0.1.0', 1_700_000_000_123],
      ]);
      const listed = await store.replicas(TTL);
      expect(ids(listed)).toEqual(['gw-a', 'gw-b']);
      for (const r of listed) expect(r.seenMs).toBeGreaterThan(1_600_000_000_000);
      // A heartbeat rewrites the entry: the new policy revision shows.
      await store.registerReplica(replica('gw-b', FP, 'r2'), TTL);
      expect((await store.replicas(TTL)).map((r) => r.policyRevision)).toEqual(['r2', 'r2']);
      await store.removeReplica('gw-b');
      await store.removeReplica('gw-unknown');
      expect(ids(await store.replicas(TTL))).toEqual(['gw-a']);
    });

    it('refuses a replica under another key fingerprint while one under the first is live, and writes nothing', async () => {
      await store.registerReplica(replica('gw-a', FP), TTL);
      const refused = await store.registerReplica(replica('gw-b', OTHER), TTL);
      expect(refused.registered).toBe(false);
      expect(refused.replicas.map((r) => [r.gatewayId, r.keyFingerprint])).toEqual([['gw-a', FP]]);
      expect(ids(await store.replicas(TTL))).toEqual(['gw-a']);
      // Its own earlier entry does not count against it: a lone replica may restart under a new key.
      expect((await store.registerReplica(replica('gw-a', OTHER), TTL)).registered).toBe(true);
      expect((await store.registerReplica(replica('gw-b', FP), TTL)).registered).toBe(false);
      // Once the replicas under the other key are gone, the first key is accepted again.
      await store.removeReplica('gw-a');
      expect((await store.registerReplica(replica('gw-b', FP), TTL)).registered).toBe(true);
    });

    it('forgets a replica whose last heartbeat is older than the TTL: not listed, and no longer refusing another key', async () => {
      await store.registerReplica(replica('gw-a', FP), TTL);
      // Real time must pass beyond a 20 ms TTL on the store's own clock; 200 ms is ample.
      await new Promise((r) => setTimeout(r, 200));
      expect(await store.replicas(20)).toEqual([]);
      expect(ids(await store.replicas(TTL))).toEqual(['gw-a']);
      const other = await store.registerReplica(replica('gw-b', OTHER), 20);
      expect(other.registered).toBe(true);
      expect(ids(other.replicas)).toEqual(['gw-b']);
      // The expired entry was dropped by that registration.
      expect(ids(await store.replicas(TTL))).toEqual(['gw-b']);
    });

    it('shows a replica registered through one instance to another, and keeps it across close and reopen', async () => {
      const other = backend.replicas === 2 ? await open() : store;
      await store.registerReplica(replica('gw-a'), TTL);
      expect(ids(await other.replicas(TTL))).toEqual(['gw-a']);
      expect((await other.registerReplica(replica('gw-b', OTHER), TTL)).registered).toBe(false);
      await reopen();
      expect(ids(await store.replicas(TTL))).toEqual(['gw-a']);
    });
  });

  describe('durability and size', () => {
    it('keeps members, counts, the key pin, sketches and fingerprints across close and reopen', async () => {
      await add([entry(LIMITED, people(1, 5)), entry(GENERAL, people(100, 2))], { unions: [sketchName.route('sg', '2025-05')] });
      await store.addFingerprints([{ key: fpKey(1), length: 5 }]);
      const sketch = await store.sketch(2025, sketchName.route('sg', '2025-05'));
      await reopen();
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 5], [GENERAL, 2]]));
      expect(await store.keyFingerprint(2025)).toBe(FP);
      await expect(store.checkKeyFingerprint(2025, OTHER)).rejects.toMatchObject({ code: 'XB_STORE_KEY_MISMATCH' });
      await expect(store.checkKeyFingerprint(2025, FP)).resolves.toBeUndefined();
      expect(await store.sketch(2025, sketchName.route('sg', '2025-05'))).toEqual(sketch);
      expect((await store.fingerprints()).map((f) => [f.key.toString('hex'), f.length])).toEqual([[fpKey(1).toString('hex'), 5]]);
      expect(store.hasFingerprint(fpKey(1))).toBe(true);
      const r = await add([entry(LIMITED, people(1, 6))], { expectCounted: true });
      expect(r.counters).toEqual([delta(LIMITED, 5, 1)]);
    });

    it('counts one entry of 60,000 persons exactly, and refuses a big one whole', async () => {
      const first = await add([entry(LIMITED, people(0, 60_000))]);
      expect(first).toEqual({ admitted: true, counters: [delta(LIMITED, 0, 60_000)] });
      // Half known: 30,000 new.
      const second = await add([entry(LIMITED, people(30_000, 60_000))]);
      expect(second).toEqual({ admitted: true, counters: [delta(LIMITED, 60_000, 30_000)] });
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 90_000]]));
      // 30,000 more would pass 100,000: refused, and none of them was kept by any chunk.
      const third = await add([entry(LIMITED, people(60_000, 60_000), [{ min: 100_000, max: undefined }])]);
      expect(third).toEqual({ admitted: false, counters: [delta(LIMITED, 90_000, 30_000)] });
      expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 90_000]]));
      expect((await store.peek(2025, [entry(LIMITED, people(89_999, 2))])).counters).toEqual([delta(LIMITED, 90_000, 1)]);
      expectClose(estimate((await store.sketch(2025, sketchName.counter(LIMITED))) as Buffer), 90_000);
    });
  });
}
