/**
 * The counter store contract. Implementations (embedded now; Redis with the counting issue) give
 * the same semantics: one atomic check-and-add per transfer across all its counters.
 */
import type { CountEntry } from '../../types.js';

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
