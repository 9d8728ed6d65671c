/**
 * The batch pre-estimate (DESIGN, count): a batch so large that it certainly reaches a blocked
 * range is refused without the member-by-member check, from two bounds that never under-count:
 *
 * - exact: the counter after the transfer holds at least max(before, n) persons (n = the batch's
 *   distinct persons, known exactly in process);
 * - estimated: the union of the counter's sketch and the batch's sketch, at its lower bound
 *   (count/hll.ts, HLL_Z standard errors below the estimate).
 *
 * Refusing adds nobody, so a wrong refusal could only block early, never under-count; the bound's
 * margin makes that a negligible chance. The other fast path, admitting a batch that cannot reach
 * any blocked range even if every person is new, lives in the Redis script (it skips SMISMEMBER);
 * approximate structures never decide that a person was already counted.
 */
import { addToRegisters, emptyRegisters, estimate, lowerBound, mergeRegisters } from './hll.js';
import type { CheckAndAddResult, CounterStore, StoredDelta } from './store/types.js';
import { sketchName } from './store/types.js';
import type { CountEntry } from '../types.js';

/** Below this many persons on a counter the exact check is cheap enough to always run. */
export const PRE_ESTIMATE_MIN_PERSONS = 10_000;

/** A refusal decided from the bounds, or undefined when the store must check member by member. */
export async function preEstimate(store: CounterStore, year: number, entries: readonly CountEntry[]): Promise<CheckAndAddResult | undefined> {
  const large = entries.filter((e) => e.members.length >= PRE_ESTIMATE_MIN_PERSONS && e.blocked.length > 0);
  if (large.length === 0) return undefined;
  const counts = await store.counts(year);
  let refused = false;
  const bounds = new Map<string, number>();
  for (const e of large) {
    const before = counts.get(e.counter) ?? 0;
    let atLeast = Math.max(before, e.members.length);
    const stored = await store.sketch(year, sketchName.counter(e.counter));
    if (stored) {
      const union = emptyRegisters();
      mergeRegisters(union, stored);
      addToRegisters(union, e.members);
      atLeast = Math.max(atLeast, Math.floor(lowerBound(estimate(union))));
    }
    bounds.set(e.counter, atLeast);
    if (e.blocked.some((r) => r.min <= atLeast && (r.max === undefined || before < r.max))) refused = true;
  }
  if (!refused) return undefined;
  const counters: StoredDelta[] = entries.map((e) => {
    const before = counts.get(e.counter) ?? 0;
    const after = bounds.get(e.counter) ?? before;
    return { counter: e.counter, before, added: after - before, after, estimated: true };
  });
  return { admitted: false, counters };
}
