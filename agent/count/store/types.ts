/**
 * The counter store contract. Two implementations give the same semantics: the embedded LMDB
 * store (the default, `embedded.ts`) and Redis (`redis.ts`: single node, Sentinel, Cluster).
 * The exact set is authoritative; the sketch beside it (count/hll.ts) only ever estimates.
 */
import type { StoredFingerprint } from '../../classify/fingerprints.js';
import type { CountEntry } from '../../types.js';

export type { StoredFingerprint };

export interface StoredDelta {
  readonly counter: string;
  readonly before: number;
  readonly added: number;
  readonly after: number;
  /**
   * True when `added`/`after` are a lower bound from the pre-estimate (count/index.ts), not an
   * exact member check: only ever on a refused transfer, which added nobody.
   */
  readonly estimated?: boolean;
}

export interface CheckAndAddResult {
  /** False when some entry's blocked range would be reached: then nothing was added anywhere. */
  readonly admitted: boolean;
  readonly counters: readonly StoredDelta[];
}

export interface CheckAndAddOptions {
  /**
   * The caller knows this year already has counts in this store (it saw the year's key pin, or
   * its evidence shows counted persons). A store that then has no pin for the year has lost its
   * data (restarted empty, flushed, failed over to an empty replica): it throws XB_STORE_LOST and
   * adds nobody, since counting on from zero would under-count.
   */
  readonly expectCounted: boolean;
  /**
   * Names of union sketches (HLL only, no exact set) the admitted persons are also added to, for
   * dashboards: `route:<id>:<YYYY-MM>` and `recipient:<name>:<YYYY-MM>`. A month of every route is
   * the union of its route sketches (each transfer goes by one route), so it is not kept apart.
   */
  readonly unions: readonly string[];
  /**
   * False: add without pinning the year's key when it has no pin yet (a mismatching pin is still
   * refused). `counts rebuild` adds this way and pins last, so gateways waiting on XB_STORE_LOST
   * resume only on complete counts. Default true.
   */
  readonly pin?: boolean;
  /** The China-time day (`YYYY-MM-DD`) the persons were sent: each counter's daily series adds them. */
  readonly day?: string;
}

export interface CounterStore {
  readonly kind: 'embedded' | 'redis';
  /**
   * Atomically: pin `keyFingerprint` to `year` (or refuse a different one: XB_STORE_KEY_MISMATCH;
   * or, with `expectCounted` and no pin, XB_STORE_LOST); find how many of each entry's members are
   * new to its counter; if any entry's [before, after] reaches one of its blocked ranges, add
   * nobody; else add every member to its counter's exact set and sketch, and every member of the
   * transfer to the union sketches.
   */
  checkAndAdd(year: number, keyFingerprint: string, entries: readonly CountEntry[], options: CheckAndAddOptions): Promise<CheckAndAddResult>;
  /** What checkAndAdd would find, without adding anyone (the `xborder classify` dry run). */
  peek(year: number, entries: readonly CountEntry[]): Promise<CheckAndAddResult>;
  /** Exact persons per counter for a year. */
  counts(year: number): Promise<Map<string, number>>;
  /**
   * The registers of one sketch (`counter:<ref>` or a union name), HLL_REGISTERS bytes, or
   * undefined when nothing was added to it this year.
   */
  sketch(year: number, name: string): Promise<Buffer | undefined>;
  /** Names of every sketch the year has. */
  sketchNames(year: number): Promise<string[]>;
  /** Persons added to a counter per China-time day of `year` (days with none are absent): projections and dashboards. */
  daily(year: number, counter: string): Promise<Map<string, number>>;
  /** The identity key fingerprint `year` was counted under, if any. */
  keyFingerprint(year: number): Promise<string | undefined>;
  /** Refuse to start if `year` was counted under another identity key. */
  checkKeyFingerprint(year: number, keyFingerprint: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Registered important data (issue 4), kept beside the counts. A separate interface so stores
 * that never hold fingerprints (the dry run's empty store) need not pretend to.
 */
export interface FingerprintStore {
  /**
   * Register exact-data-match fingerprints (HMAC keys of normalized values, with each value's
   * normalized length); returns how many were new. One transaction: all or none.
   */
  addFingerprints(fingerprints: readonly StoredFingerprint[]): Promise<number>;
  /** Every registered fingerprint, to build the hot path's filter (start and reload). */
  fingerprints(): Promise<StoredFingerprint[]>;
  /**
   * The exact check behind the filter; synchronous, since classify/ is. A remote store answers
   * from the copy `fingerprints()` last loaded (start and reload refresh it).
   */
  hasFingerprint(key: Buffer): boolean;
  fingerprintCount(): Promise<number>;
}

/** What a gateway replica says of itself in the replica registry (control/replicas.ts). */
export interface ReplicaRecord {
  readonly gatewayId: string;
  /** Fingerprint of its identity (HMAC) key, as identify/key.ts computes it: never the key. */
  readonly keyFingerprint: string;
  /** The policy revision it runs (policy/compile.ts). */
  readonly policyRevision: string;
  readonly version: string;
  /** Epoch ms its process started; tells a restart of the same gateway id from a duplicate. */
  readonly startedMs: number;
}

export interface LiveReplica extends ReplicaRecord {
  /** Epoch ms of its last heartbeat, by the store's clock (Redis TIME; the host's for the embedded store). */
  readonly seenMs: number;
}

export interface ReplicaRegistration {
  /**
   * False when a live replica with another gateway id holds another key fingerprint: nothing
   * was written, and `replicas` shows who holds which key.
   */
  readonly registered: boolean;
  /** Every live replica after the call (this one included when registered), by gateway id. */
  readonly replicas: readonly LiveReplica[];
}

/**
 * The replica registry (issue 11), kept beside the counts: who shares this store, under which
 * identity key and policy revision. A replica is live while its last heartbeat is at most `ttlMs`
 * old by the store's clock (no clock skew between hosts on Redis). Separate from CounterStore so
 * stores that never register replicas (the dry run's empty store) need not pretend to.
 */
export interface ReplicaStore {
  /**
   * Atomically: drop entries older than `ttlMs`; if a live replica of another gateway id has
   * another key fingerprint, refuse (write nothing); else write `replica`, seen now.
   */
  registerReplica(replica: ReplicaRecord, ttlMs: number): Promise<ReplicaRegistration>;
  /** Live replicas (seen within `ttlMs`), by gateway id; writes nothing. */
  replicas(ttlMs: number): Promise<LiveReplica[]>;
  /** Remove a gateway's entry (a clean stop), if it is there. */
  removeReplica(gatewayId: string): Promise<void>;
}

/** A registry entry as both stores keep it: `<seenMs>|<JSON of the ReplicaRecord>`. */
export function encodeReplica(r: ReplicaRecord, seenMs: number): string {
  const { gatewayId, keyFingerprint, policyRevision, version, startedMs } = r;
  return `${seenMs}|${JSON.stringify({ gatewayId, keyFingerprint, policyRevision, version, startedMs })}`;
}

/** An entry read back; undefined when it is not one (skipped, as if expired). */
export function decodeReplica(raw: string): LiveReplica | undefined {
  const bar = raw.indexOf('|');
  const seenMs = Number(raw.slice(0, bar));
  if (bar <= 0 || !Number.isFinite(seenMs)) return undefined;
  try {
    const r = JSON.parse(raw.slice(bar + 1)) as Partial<ReplicaRecord>;
    if (typeof r.gatewayId !== 'string' || typeof r.keyFingerprint !== 'string' || typeof r.policyRevision !== 'string') return undefined;
    return { gatewayId: r.gatewayId, keyFingerprint: r.keyFingerprint, policyRevision: r.policyRevision, version: String(r.version ?? ''), startedMs: Number(r.startedMs ?? 0), seenMs };
  } catch {
    return undefined;
  }
}

export const byGatewayId = (a: { gatewayId: string }, b: { gatewayId: string }): number => (a.gatewayId < b.gatewayId ? -1 : a.gatewayId > b.gatewayId ? 1 : 0);

/** Sketch names: one per counter beside its exact set, and the dashboards' unions. */
export const sketchName = {
  counter: (ref: string) => `counter:${ref}`,
  route: (id: string, month: string) => `route:${id}:${month}`,
  recipient: (name: string, month: string) => `recipient:${name}:${month}`,
} as const;
