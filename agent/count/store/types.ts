/**
 * The counter store contract. Implementations (embedded now; Redis with the counting issue) give
 * the same semantics: one atomic check-and-add per transfer across all its counters.
 */
import type { StoredFingerprint } from '../../classify/fingerprints.js';
import type { CountEntry } from '../../types.js';

export type { StoredFingerprint };

export interface StoredDelta {
  readonly counter: string;
  readonly before: number;
  readonly added: number;
  readonly after: number;
}

export interface CheckAndAddResult {
  /** False when some entry's blocked range would be reached: then nothing was added anywhere. */
  readonly admitted: boolean;
  readonly counters: readonly StoredDelta[];
}

export interface CounterStore {
  /**
   * Atomically: find how many of each entry's members are new to its counter; if any entry's
   * [before, after] reaches one of its blocked ranges, add nobody; else add every member.
   * Also pins `keyFingerprint` to `year` on first use and refuses a different one.
   */
  checkAndAdd(year: number, keyFingerprint: string, entries: readonly CountEntry[]): Promise<CheckAndAddResult>;
  /** What checkAndAdd would find, without adding anyone (the `xborder classify` dry run). */
  peek(year: number, entries: readonly CountEntry[]): Promise<CheckAndAddResult>;
  /** Exact persons per counter for a year. */
  counts(year: number): Promise<Map<string, number>>;
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
  /** The exact check behind the filter; synchronous, since classify/ is. */
  hasFingerprint(key: Buffer): boolean;
  fingerprintCount(): Promise<number>;
}
