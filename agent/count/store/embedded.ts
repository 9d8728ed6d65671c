/**
 * The embedded counter store (the default): LMDB through the `lmdb` package, durable on disk, no
 * server. One LMDB write transaction per check-and-add makes it atomic across all counters of a
 * transfer, and across processes sharing the directory (LMDB's writer lock).
 *
 * Layout (all keys strings, `\0`-separated):
 *   members      year \0 counter \0 base64(key)  → 1 byte     (the exact set)
 *   cardinality  year \0 counter                 → number     (its size, kept in the same txn)
 *   meta         keyfp \0 year                   → fingerprint of the identity key
 *   sketches     year \0 sketch name             → HLL registers (count/hll.ts), 16 KiB
 *   daily        year \0 counter \0 day          → persons added that China-time day
 *   fingerprints base64(HMAC key)                → normalized value's length (registered
 *                                                  important data; never the value: issue 4)
 *   replicas     gateway id                      → `<seenMs>|<JSON>` (the replica registry,
 *                                                  control/replicas.ts; seen by this host's clock)
 */
import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { XbError } from '../../errors.js';
import type { CountEntry } from '../../types.js';
import { addToRegisters, emptyRegisters } from '../hll.js';
import { reaches } from '../ranges.js';
import { keyMismatch, storeLost } from './errors.js';
import { byGatewayId, decodeReplica, encodeReplica, sketchName, type CheckAndAddOptions, type LiveReplica, type ReplicaStore, type CheckAndAddResult, type CounterStore, type FingerprintStore, type StoredDelta, type StoredFingerprint } from './types.js';

const PRESENT = Buffer.from([1]);

export function openEmbeddedStore(path: string): CounterStore & FingerprintStore & ReplicaStore {
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
  const sketches: Database<Buffer, string> = root.openDB({ name: 'sketches', encoding: 'binary' });
  const dailyAdded: Database<number, string> = root.openDB({ name: 'daily' });
  const replicaDb: Database<string, string> = root.openDB({ name: 'replicas' });

  /** Live entries at `now`; with `prune`, expired and unreadable ones are removed (inside a write transaction only). */
  const liveReplicas = (now: number, ttlMs: number, prune: boolean): LiveReplica[] => {
    const live: LiveReplica[] = [];
    for (const { key, value } of replicaDb.getRange()) {
      const r = decodeReplica(value);
      if (r && now - r.seenMs <= ttlMs) live.push(r);
      else if (prune) replicaDb.removeSync(key);
    }
    return live.sort(byGatewayId);
  };

  const pinFingerprint = (year: number, fp: string, options: CheckAndAddOptions): void => {
    const stored = meta.get(`keyfp\0${year}`);
    if (stored === undefined && options.expectCounted) throw storeLost(year);
    if (stored === undefined && options.pin !== false) meta.putSync(`keyfp\0${year}`, fp);
    else if (stored !== undefined && stored !== fp) throw keyMismatch(year, stored, fp);
  };

  /** Max-merge keys into a sketch; written only when a register changed. */
  const addToSketch = (year: number, name: string, keys: Iterable<Buffer>): void => {
    const k = `${year}\0${name}`;
    const stored = sketches.get(k);
    const registers = stored ? Buffer.from(stored) : emptyRegisters();
    if (addToRegisters(registers, keys) || !stored) sketches.putSync(k, registers);
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
    kind: 'embedded',

    async checkAndAdd(year: number, keyFingerprint: string, entries: readonly CountEntry[], options: CheckAndAddOptions): Promise<CheckAndAddResult> {
      try {
        // A child transaction: if any write throws, the whole check-and-add rolls back.
        return await root.childTransaction(() => {
          pinFingerprint(year, keyFingerprint, options);
          const { fresh, counters, admitted } = check(year, entries);
          if (admitted) {
            entries.forEach((e, i) => {
              for (const k of fresh[i] ?? []) members.putSync(k, PRESENT);
              cardinality.putSync(`${year}\0${e.counter}`, (counters[i] as StoredDelta).after);
              addToSketch(year, sketchName.counter(e.counter), e.members);
              const added = (counters[i] as StoredDelta).added;
              if (options.day && added > 0) {
                const k = `${year}\0${e.counter}\0${options.day}`;
                dailyAdded.putSync(k, (dailyAdded.get(k) ?? 0) + added);
              }
            });
            if (options.unions.length > 0) {
              const everyone = entries.flatMap((e) => e.members);
              for (const name of options.unions) addToSketch(year, name, everyone);
            }
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

    async sketch(year: number, name: string): Promise<Buffer | undefined> {
      const stored = sketches.get(`${year}\0${name}`);
      return stored ? Buffer.from(stored) : undefined;
    },

    async sketchNames(year: number): Promise<string[]> {
      const prefix = `${year}\0`;
      return [...sketches.getKeys({ start: prefix, end: `${year}\u0001` })].map((k) => k.slice(prefix.length));
    },

    async daily(year: number, counter: string): Promise<Map<string, number>> {
      const prefix = `${year}\0${counter}\0`;
      const out = new Map<string, number>();
      for (const { key, value } of dailyAdded.getRange({ start: prefix, end: `${prefix}\uffff` })) out.set(key.slice(prefix.length), value);
      return out;
    },

    async keyFingerprint(year: number): Promise<string | undefined> {
      return meta.get(`keyfp\0${year}`);
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

    async registerReplica(replica, ttlMs) {
      try {
        return await replicaDb.transaction(() => {
          const now = Date.now();
          const live = liveReplicas(now, ttlMs, true);
          if (live.some((r) => r.gatewayId !== replica.gatewayId && r.keyFingerprint !== replica.keyFingerprint)) return { registered: false, replicas: live };
          replicaDb.putSync(replica.gatewayId, encodeReplica(replica, now));
          return { registered: true, replicas: [...live.filter((r) => r.gatewayId !== replica.gatewayId), { ...replica, seenMs: now }].sort(byGatewayId) };
        });
      } catch (err) {
        throw new XbError('XB_STORE_UNAVAILABLE', `embedded store write failed: ${(err as Error).message}`);
      }
    },

    async replicas(ttlMs) {
      return liveReplicas(Date.now(), ttlMs, false);
    },

    async removeReplica(gatewayId) {
      await replicaDb.remove(gatewayId);
    },

    async close(): Promise<void> {
      await root.close();
    },
  };
}
