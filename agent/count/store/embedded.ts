/**
 * The embedded counter store (the default): LMDB through the `lmdb` package, durable on disk, no
 * server. One LMDB write transaction per check-and-add makes it atomic across all counters of a
 * transfer, and across processes sharing the directory (LMDB's writer lock).
 *
 * Layout (all keys strings, `\0`-separated):
 *   members      year \0 counter \0 base64(key)  → 1 byte     (the exact set)
 *   cardinality  year \0 counter                 → number     (its size, kept in the same txn)
 *   meta         keyfp \0 year                   → fingerprint of the identity key
 *   fingerprints base64(HMAC key)                → normalized value's length (registered
 *                                                  important data; never the value: issue 4)
 */
import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { XbError } from '../../errors.js';
import type { CountEntry } from '../../types.js';
import { reaches } from '../ranges.js';
import type { CheckAndAddResult, CounterStore, FingerprintStore, StoredDelta, StoredFingerprint } from './types.js';

const PRESENT = Buffer.from([1]);

export function openEmbeddedStore(path: string): CounterStore & FingerprintStore {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  let root: RootDatabase;
  try {
    // overlappingSync off: a commit's promise resolves only once it is on disk, so a count the
    // evidence log shows was never lost by the store (count → record → forward).
    root = open({ path, overlappingSync: false, compression: false });
  } catch (err) {
    throw new XbError('XB_STORE_UNAVAILABLE', `embedded store at ${path} cannot be opened: ${(err as Error).message}`);
  }
  const members: Database<Buffer, string> = root.openDB({ name: 'members', encoding: 'binary' });
  const cardinality: Database<number, string> = root.openDB({ name: 'cardinality' });
  const meta: Database<string, string> = root.openDB({ name: 'meta' });
  const prints: Database<number, string> = root.openDB({ name: 'fingerprints' });

  const pinFingerprint = (year: number, fp: string): void => {
    const stored = meta.get(`keyfp\0${year}`);
    if (stored === undefined) meta.putSync(`keyfp\0${year}`, fp);
    else if (stored !== fp) throw keyMismatch(year, stored, fp);
  };

  /** Per entry: its members new to the counter, and before/added/after; reads only. */
  const check = (year: number, entries: readonly CountEntry[]) => {
    const fresh: string[][] = [];
    const counters: StoredDelta[] = [];
    let admitted = true;
    for (const e of entries) {
      const before = cardinality.get(`${year}\0${e.counter}`) ?? 0;
      const prefix = `${year}\0${e.counter}\0`;
      const keys = [...new Set(e.members.map((m) => prefix + m.toString('base64')))].filter((k) => !members.doesExist(k));
      fresh.push(keys);
      const after = before + keys.length;
      counters.push({ counter: e.counter, before, added: keys.length, after });
      if (e.blocked.some((r) => reaches(r, before, after))) admitted = false;
    }
    return { fresh, counters, admitted };
  };

  return {
    async checkAndAdd(year: number, keyFingerprint: string, entries: readonly CountEntry[]): Promise<CheckAndAddResult> {
      try {
        // A child transaction: if any write throws, the whole check-and-add rolls back.
        return await root.childTransaction(() => {
          pinFingerprint(year, keyFingerprint);
          const { fresh, counters, admitted } = check(year, entries);
          if (admitted) {
            entries.forEach((e, i) => {
              for (const k of fresh[i] ?? []) members.putSync(k, PRESENT);
              cardinality.putSync(`${year}\0${e.counter}`, (counters[i] as StoredDelta).after);
            });
          }
          return { admitted, counters };
        });
      } catch (err) {
        if (err instanceof XbError) throw err;
        throw new XbError('XB_STORE_UNAVAILABLE', `embedded store write failed: ${(err as Error).message}`);
      }
    },

    async peek(year: number, entries: readonly CountEntry[]): Promise<CheckAndAddResult> {
      const { counters, admitted } = check(year, entries);
      return { counters, admitted };
    },

    async counts(year: number): Promise<Map<string, number>> {
      const out = new Map<string, number>();
      for (const { key, value } of cardinality.getRange({ start: `${year}\0`, end: `${year}\u0001` })) {
        out.set(key.slice(String(year).length + 1), value);
      }
      return out;
    },

    async checkKeyFingerprint(year: number, keyFingerprint: string): Promise<void> {
      const stored = meta.get(`keyfp\0${year}`);
      if (stored !== undefined && stored !== keyFingerprint) throw keyMismatch(year, stored, keyFingerprint);
    },

    async addFingerprints(fingerprints: readonly StoredFingerprint[]): Promise<number> {
      try {
        return await prints.transaction(() => {
          let added = 0;
          for (const f of fingerprints) {
            const k = f.key.toString('base64');
            if (prints.doesExist(k)) continue;
            prints.putSync(k, f.length);
            added++;
          }
          return added;
        });
      } catch (err) {
        throw new XbError('XB_STORE_UNAVAILABLE', `embedded store write failed: ${(err as Error).message}`);
      }
    },

    async fingerprints(): Promise<StoredFingerprint[]> {
      const out: StoredFingerprint[] = [];
      for (const { key, value } of prints.getRange()) out.push({ key: Buffer.from(key, 'base64'), length: value });
      return out;
    },

    hasFingerprint(key: Buffer): boolean {
      return prints.doesExist(key.toString('base64'));
    },

    async fingerprintCount(): Promise<number> {
      return prints.getKeysCount();
    },

    async close(): Promise<void> {
      await root.close();
    },
  };
}

function keyMismatch(year: number, stored: string, given: string): XbError {
  return new XbError(
    'XB_STORE_KEY_MISMATCH',
    `${year} was counted under identity key ${stored.slice(0, 12)}…, but the configured key is ${given.slice(0, 12)}…; ` +
      'a new key would restart counting (an under-count). Restore the original key, or rebuild the counts from evidence.',
  );
}
