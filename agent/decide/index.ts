/**
 * decide: CountResult → Decision. Pure: no I/O, no clock; same inputs, same decision.
 * In: per-counter before/added/after, the counters' rules, filings, the route's recipient, the
 * day (China time) and the mode.
 * Out: allow, flag or block, with every rule that fired and the filing that covers it, if any.
 * Never: turn a block into a silent allow. Monitor mode flags with `enforceWouldBlock: true`.
 */
import { reaches, type Range } from '../count/ranges.js';
import type { Counter, Rule } from '../policy/types.js';
import type { Citation, CountResult, Decision } from '../types.js';
import { coveringFiling, type Filing } from './filings.js';

export type { Filing } from './filings.js';

export interface DecideContext {
  readonly counters: ReadonlyMap<string, Counter>;
  readonly filings: readonly Filing[];
  readonly recipient: string;
  /** `YYYY-MM-DD`, China time. */
  readonly day: string;
  readonly mode: 'enforce' | 'monitor';
}

export function decide(counted: CountResult, ctx: DecideContext): Decision {
  if (counted.persons.length === 0) return { kind: 'allow', rules: [], reason: 'no-pi', enforceWouldBlock: false };
  const fired: Citation[] = [];
  for (const delta of counted.counters) {
    for (const rule of ctx.counters.get(delta.counter)?.rules ?? []) {
      if (!reaches(rule, delta.before, delta.after)) continue;
      const filing = coveringFiling(rule, ctx.filings, ctx.recipient, ctx.day);
      fired.push(cite(rule, delta.before, delta.added, filing?.id));
    }
  }
  const uncovered = fired.filter((c) => c.filing === undefined);
  if (uncovered.length > 0) {
    return ctx.mode === 'enforce'
      ? { kind: 'block', rules: uncovered, reason: 'threshold-uncovered', enforceWouldBlock: true }
      : { kind: 'flag', rules: fired, reason: 'threshold-uncovered', enforceWouldBlock: true };
  }
  return { kind: 'allow', rules: fired, reason: fired.length > 0 ? 'covered-by-filing' : 'within-thresholds', enforceWouldBlock: false };
}

/** A body that cannot be inspected: refused on fail-closed routes, forwarded and flagged on fail-open ones. */
export function decideUninspectable(failMode: 'closed' | 'open', mode: 'enforce' | 'monitor'): Decision {
  if (failMode === 'open') return { kind: 'flag', rules: [], reason: 'uninspectable', enforceWouldBlock: false };
  return mode === 'enforce'
    ? { kind: 'block', rules: [], reason: 'uninspectable', enforceWouldBlock: true }
    : { kind: 'flag', rules: [], reason: 'uninspectable', enforceWouldBlock: true };
}

/** The store could not count: a transfer carrying PI is refused (fail-closed), whatever the mode. */
export const decideStoreDown = (): Decision => ({ kind: 'block', rules: [], reason: 'store-unavailable', enforceWouldBlock: true });

/**
 * The ranges a counter may not reach: thresholds whose obligation no valid filing covers.
 * count/ hands these to the store so a refused transfer adds nobody. Monitor mode blocks nothing.
 */
export function blockedRanges(counter: Counter, ctx: DecideContext): Range[] {
  if (ctx.mode === 'monitor') return [];
  return counter.rules.filter((r) => !coveringFiling(r, ctx.filings, ctx.recipient, ctx.day));
}

function cite(rule: Rule, before: number, added: number, filing: string | undefined): Citation {
  return {
    regime: rule.regime,
    list: rule.list,
    domain: rule.domain,
    item: rule.item,
    obligation: rule.obligation,
    counter: rule.counter,
    threshold: describeThreshold(rule),
    before,
    added,
    citation: rule.citation,
    filing,
  };
}

const n = (v: number) => v.toLocaleString('en-US');

/** `100,000 ≤ n < 2,000,000`, `n ≥ 2,000,000`: how the regulation's ranges read. */
export const describeThreshold = (r: Range): string => (r.max === undefined ? `n ≥ ${n(r.min)}` : `${n(r.min)} ≤ n < ${n(r.max)}`);
