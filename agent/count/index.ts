/**
 * count: Subjects → CountResult.
 * In: the transfer's subjects, its counter plan, the ranges each counter may not reach, the store.
 * Out: before/added/after per counter, and whether the persons were added (admitted).
 * Never: add anybody for a transfer that is refused; decide on an approximation that a person was
 * already counted. The store's check-and-add is one atomic step across all counters of the transfer.
 */
import { preEstimate } from './estimate.js';
import type { Range } from './ranges.js';
import type { CountPlan } from './plan.js';
import type { CheckAndAddOptions, CheckAndAddResult, CounterStore } from './store/types.js';
import type { Counter } from '../policy/types.js';
import type { CountEntry, CountResult } from '../types.js';

export { planCount, type CountPlan } from './plan.js';

export interface CountInput {
  readonly plan: CountPlan;
  readonly year: number;
  readonly keyFingerprint: string;
  /** Ranges the counter may not reach: the thresholds whose obligation no valid filing covers. */
  readonly blockedRanges: (counter: Counter) => readonly Range[];
}

export async function count(store: CounterStore, input: CountInput, options: CheckAndAddOptions): Promise<CountResult> {
  return run(input, async (year, entries) => (await preEstimate(store, year, entries)) ?? store.checkAndAdd(year, input.keyFingerprint, entries, options));
}

/** What `count` would find, adding nobody: the `xborder classify` dry run. */
export async function peekCount(store: CounterStore, input: CountInput): Promise<CountResult> {
  return run(input, (year, entries) => store.peek(year, entries));
}

async function run(input: CountInput, op: (year: number, entries: CountEntry[]) => Promise<CheckAndAddResult>): Promise<CountResult> {
  const { plan, year } = input;
  if (plan.counters.length === 0) return { year, admitted: true, counters: [], persons: [] };
  const entries = plan.counters.map((c) => ({
    counter: c.counter.ref,
    members: c.persons.map((i) => plan.persons[i] as Buffer),
    blocked: input.blockedRanges(c.counter),
  }));
  const stored = await op(year, entries);
  return {
    year,
    admitted: stored.admitted,
    persons: plan.persons,
    counters: stored.counters.map((d, i) => ({ ...d, persons: plan.counters[i]?.persons ?? [] })),
  };
}
