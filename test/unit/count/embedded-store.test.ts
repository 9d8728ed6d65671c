/**
 * The embedded LMDB counter store, on a real database in a temp folder: exact distinct counts,
 * one atomic check-and-add across every counter of a transfer, durability across reopen, years
 * kept apart, and the identity key pinned per year.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../agent/count/store/embedded.js';
import type { CounterStore } from '../../../agent/count/store/types.js';
import { XbError } from '../../../agent/errors.js';
import type { CountEntry } from '../../../agent/types.js';
import { tempDir } from '../support/policy.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';
const SENSITIVE = 'guangxi-2025/live-commerce/sensitive';
const FP = 'a'.repeat(64);
const person = (n: number): Buffer => {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(n, 12);
  return b;
};
const people = (from: number, count: number): Buffer[] => Array.from({ length: count }, (_, i) => person(from + i));
const entry = (counter: string, members: Buffer[], blocked: CountEntry['blocked'] = []): CountEntry => ({ counter, members, blocked });

let tmp: ReturnType<typeof tempDir>;
let store: CounterStore;
let path: string;

beforeEach(() => {
  tmp = tempDir('store');
  path = join(tmp.dir, 'store');
  store = openEmbeddedStore(path);
});

afterEach(async () => {
  await store.close();
  tmp.remove();
});

describe('checkAndAdd', () => {
  it('counts distinct members and reports before, added and after', async () => {
    const r = await store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 3))]);
    expect(r).toEqual({ admitted: true, counters: [{ counter: LIMITED, before: 0, added: 3, after: 3 }] });
    expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 3]]));
  });

  it('does not add a person twice', async () => {
    await store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 3))]);
    const again = await store.checkAndAdd(2025, FP, [entry(LIMITED, people(2, 3))]); // 2, 3 known; 4 new
    expect(again.counters).toEqual([{ counter: LIMITED, before: 3, added: 1, after: 4 }]);
    const same = await store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 4))]);
    expect(same.counters).toEqual([{ counter: LIMITED, before: 4, added: 0, after: 4 }]);
    expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 4]]));
  });

  it('counts one person separately on each counter', async () => {
    const r = await store.checkAndAdd(2025, FP, [entry(GENERAL, people(1, 2)), entry(SENSITIVE, [person(2)])]);
    expect(r.counters.map((c) => [c.counter, c.after])).toEqual([
      [GENERAL, 2],
      [SENSITIVE, 1],
    ]);
  });

  it('refuses a transfer that would reach a blocked range and adds nobody', async () => {
    await store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 4))]);
    const r = await store.checkAndAdd(2025, FP, [entry(LIMITED, people(5, 2), [{ min: 5, max: 10 }])]);
    expect(r).toEqual({ admitted: false, counters: [{ counter: LIMITED, before: 4, added: 2, after: 6 }] });
    expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 4]]));
    // Nobody of the refused transfer was remembered: sending them again still counts them as new.
    const retry = await store.checkAndAdd(2025, FP, [entry(LIMITED, people(5, 1))]);
    expect(retry.counters).toEqual([{ counter: LIMITED, before: 4, added: 1, after: 5 }]);
  });

  it('admits a transfer that stops one short of a blocked range', async () => {
    const r = await store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 4), [{ min: 5, max: undefined }])]);
    expect(r.admitted).toBe(true);
    expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 4]]));
  });

  it('adds nobody on any counter when one counter of the transfer is blocked', async () => {
    // General has no blocked range; sensitive does ([1, 10 000): item 7, no filing).
    const r = await store.checkAndAdd(2025, FP, [
      entry(GENERAL, people(1, 3)),
      entry(SENSITIVE, [person(2)], [{ min: 1, max: 10_000 }]),
    ]);
    expect(r.admitted).toBe(false);
    expect(r.counters).toEqual([
      { counter: GENERAL, before: 0, added: 3, after: 3 },
      { counter: SENSITIVE, before: 0, added: 1, after: 1 },
    ]);
    expect(await store.counts(2025)).toEqual(new Map());
    // The same general persons alone are admitted afterwards, and all three are new.
    const alone = await store.checkAndAdd(2025, FP, [entry(GENERAL, people(1, 3))]);
    expect(alone.counters).toEqual([{ counter: GENERAL, before: 0, added: 3, after: 3 }]);
  });

  it('serializes concurrent transfers: of two that together would reach a blocked range, one is refused', async () => {
    const blocked = [{ min: 5, max: undefined }];
    const results = await Promise.all([
      store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 3), blocked)]),
      store.checkAndAdd(2025, FP, [entry(LIMITED, people(11, 3), blocked)]),
    ]);
    expect(results.map((r) => r.admitted).sort()).toEqual([false, true]);
    expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 3]]));
  });

  it('adds nobody when the blocked counter comes first in the transfer', async () => {
    const r = await store.checkAndAdd(2025, FP, [entry(SENSITIVE, [person(1)], [{ min: 1, max: 10_000 }]), entry(GENERAL, people(1, 2))]);
    expect(r.admitted).toBe(false);
    expect(await store.counts(2025)).toEqual(new Map());
  });
});

describe('durability and years', () => {
  it('keeps members and counts across close and reopen', async () => {
    await store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 5)), entry(GENERAL, people(100, 2))]);
    await store.close();
    store = openEmbeddedStore(path);
    expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 5], [GENERAL, 2]]));
    const r = await store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 6))]);
    expect(r.counters).toEqual([{ counter: LIMITED, before: 5, added: 1, after: 6 }]);
  });

  it('counts each year on its own: a person of 2025 is new again in 2026', async () => {
    await store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 3))]);
    const next = await store.checkAndAdd(2026, FP, [entry(LIMITED, people(1, 2))]);
    expect(next.counters).toEqual([{ counter: LIMITED, before: 0, added: 2, after: 2 }]);
    expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 3]]));
    expect(await store.counts(2026)).toEqual(new Map([[LIMITED, 2]]));
    expect(await store.counts(2024)).toEqual(new Map());
  });
});

describe('identity key fingerprint', () => {
  const OTHER = 'b'.repeat(64);

  it('refuses to count a year under a different identity key', async () => {
    await store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 3))]);
    const err = await store.checkAndAdd(2025, OTHER, [entry(LIMITED, people(10, 1))]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XbError);
    expect((err as XbError).code).toBe('XB_STORE_KEY_MISMATCH');
    expect(await store.counts(2025)).toEqual(new Map([[LIMITED, 3]]));
  });

  it('lets a new year start under a new key', async () => {
    await store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 3))]);
    await expect(store.checkAndAdd(2026, OTHER, [entry(LIMITED, people(1, 1))])).resolves.toMatchObject({ admitted: true });
  });

  it('checkKeyFingerprint refuses a changed key, also after reopen, and accepts the same or an uncounted year', async () => {
    await store.checkAndAdd(2025, FP, [entry(LIMITED, people(1, 1))]);
    await store.close();
    store = openEmbeddedStore(path);
    await expect(store.checkKeyFingerprint(2025, OTHER)).rejects.toMatchObject({ code: 'XB_STORE_KEY_MISMATCH' });
    await expect(store.checkKeyFingerprint(2025, FP)).resolves.toBeUndefined();
    await expect(store.checkKeyFingerprint(2027, OTHER)).resolves.toBeUndefined();
  });
});
