/** The embedded store's fingerprints db: keys only, new ones counted, durable across reopen. */
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../agent/count/store/embedded.js';
import { tempDir } from '../support/policy.js';

const key = (n: number) => Buffer.alloc(16, n);
let tmp: ReturnType<typeof tempDir>;
let path: string;
let store: ReturnType<typeof openEmbeddedStore>;

beforeEach(() => {
  tmp = tempDir('fp-store');
  path = join(tmp.dir, 'store');
  store = openEmbeddedStore(path);
});
afterEach(async () => {
  await store.close();
  tmp.remove();
});

it('adds fingerprints, says how many were new, and counts them', async () => {
  expect(await store.fingerprintCount()).toBe(0);
  expect(await store.addFingerprints([{ key: key(1), length: 5 }, { key: key(2), length: 9 }])).toBe(2);
  expect(await store.addFingerprints([{ key: key(2), length: 9 }, { key: key(3), length: 3 }, { key: key(3), length: 3 }])).toBe(1);
  expect(await store.fingerprintCount()).toBe(3);
  expect(store.hasFingerprint(key(3))).toBe(true);
  expect(store.hasFingerprint(key(4))).toBe(false);
});

it('loads every fingerprint with its length, after a reopen', async () => {
  await store.addFingerprints([{ key: key(1), length: 5 }, { key: key(2), length: 9 }]);
  await store.close();
  store = openEmbeddedStore(path);
  const all = await store.fingerprints();
  expect(all.map((f) => [f.key.toString('hex'), f.length]).sort()).toEqual([
    [key(1).toString('hex'), 5],
    [key(2).toString('hex'), 9],
  ]);
});

it('keeps fingerprints apart from the counts', async () => {
  await store.addFingerprints([{ key: key(1), length: 5 }]);
  expect(await store.counts(2026)).toEqual(new Map());
});
