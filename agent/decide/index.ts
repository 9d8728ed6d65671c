/**
 * decide: CountResult → Decision. Pure: no I/O, no clock; same inputs, same decision.
 * In: per-counter before/added/after, the important-data indicators seen, the route's counters
 * and indicator rules, filings, the route's recipient and scenario, the day (China time), the
 * company (CIIO or not) and the mode.
 * Out: allow, flag or block, with every rule that fired and the filing that covers it, if any.
 * Never: turn a block into a silent allow. Monitor mode flags with `enforceWouldBlock: true`.
 */
import { reaches, type Range } from '../count/ranges.js';
import type { PolicySnapshot, RouteRuntime } from '../policy/snapshot.js';
import type { Counter, Domain, IndicatorRule, Rule } from '../policy/types.js';
import type { Citation, CountResult, Decision, IndicatorHit } from '../types.js';
import { coveringFiling, type Filing } from './filings.js';

export type { Filing } from './filings.js';

export interface DecideContext {
  readonly counters: ReadonlyMap<string, Counter>;
  /** Domains whose important-data rules apply to the route (its own, the regime's every-transfer lists). */
  readonly indicatorDomains: readonly Domain[];
  readonly filings: readonly Filing[];
  readonly recipient: string;
  readonly scenario: string;
  /** `YYYY-MM-DD`, China time. */
  readonly day: string;
  readonly ciio: boolean;
  /** For a CIIO: the national CIIO-only rules, which no FTZ list relieves (Order 16 Art. 7(1)). */
  readonly ciioRules: readonly Rule[];
  readonly mode: 'enforce' | 'monitor';
}

/** The context of one transfer's decision: the snapshot's filings and mode, the route's rules, the day. */
export function decideContext(snapshot: PolicySnapshot, route: RouteRuntime, day: string): DecideContext {
  return {
    counters: route.counters,
    indicatorDomains: route.indicatorDomains,
    filings: snapshot.filings,
    recipient: route.recipient.name,
    scenario: route.scenario,
    day,
    ciio: snapshot.ciio,
    ciioRules: snapshot.ciioRules,
    mode: snapshot.mode,
  };
}

export function decide(counted: CountResult, indicators: readonly IndicatorHit[], ctx: DecideContext): Decision {
  const filingFor = (rule: Rule | IndicatorRule) => coveringFiling(rule, ctx.filings, ctx.recipient, ctx.day)?.id;
  const fired: Citation[] = [];
  for (const delta of counted.counters) {
    for (const rule of ctx.counters.get(delta.counter)?.rules ?? []) {
      if (governs(rule, ctx) && reaches(rule, delta.before, delta.after)) fired.push(cite(rule, describeThreshold(rule), delta.before, delta.added, [], filingFor(rule)));
    }
  }
  // A CIIO's transfer of any PI needs a security assessment on whatever list's route it travels.
  // Persons on the national counters fired the rule above; persons elsewhere fire it here, once.
  const first = counted.counters[0];
  if (ctx.ciio && first && !counted.counters.some((d) => isCiioCounter(d.counter, ctx))) {
    for (const rule of ctx.ciioRules) {
      if (!fired.some((c) => c.list === rule.list && c.item === rule.item))
        fired.push(cite(rule, 'any personal information (CIIO)', first.before, first.added, [], filingFor(rule)));
    }
  }
  const review: Citation[] = [];
  for (const { rule, seen } of indicatorRulesFired(indicators, ctx)) {
    const c = cite(rule, `any indicator: ${seen.join(', ')}`, 0, 0, seen, filingFor(rule));
    // Indicators only suggest important data: a `review` row is flagged for a person to judge.
    if (rule.onIndicator === 'review' && c.filing === undefined) review.push(c);
    else fired.push(c);
  }
  const uncovered = fired.filter((c) => c.filing === undefined);
  if (uncovered.length > 0) {
    const reason = uncovered.every((c) => c.indicators.length > 0) ? 'important-data' : 'threshold-uncovered';
    return ctx.mode === 'enforce'
      ? { kind: 'block', rules: uncovered, reason, enforceWouldBlock: true }
      : { kind: 'flag', rules: [...fired, ...review], reason, enforceWouldBlock: true };
  }
  if (review.length > 0) return { kind: 'flag', rules: [...fired, ...review], reason: 'important-data-review', enforceWouldBlock: false };
  if (counted.persons.length === 0 && fired.length === 0) return { kind: 'allow', rules: [], reason: 'no-pi', enforceWouldBlock: false };
  return { kind: 'allow', rules: fired, reason: fired.length > 0 ? 'covered-by-filing' : 'within-thresholds', enforceWouldBlock: false };
}

/** A body that cannot be inspected: refused on fail-closed routes, forwarded and flagged on fail-open ones. */
export function decideUninspectable(failMode: 'closed' | 'open', mode: 'enforce' | 'monitor'): Decision {
  if (failMode === 'open') return { kind: 'flag', rules: [], reason: 'uninspectable', enforceWouldBlock: false };
  return mode === 'enforce'
    ? { kind: 'block', rules: [], reason: 'uninspectable', enforceWouldBlock: true }
    : { kind: 'flag', rules: [], reason: 'uninspectable', enforceWouldBlock: true };
}

/**
 * A body over a resource limit (a decompression bomb, too many parts) is refused on every route:
 * fail-open lets through what cannot be read, not what would exhaust the gateway.
 */
export const decideOverLimit = (): Decision => ({ kind: 'block', rules: [], reason: 'over-limit', enforceWouldBlock: true });

/** Codes of bodies refused by decideOverLimit whatever the route's fail mode. */
export const OVER_LIMIT_CODES: ReadonlySet<string> = new Set(['XB_BODY_DECOMPRESSED_TOO_LARGE', 'XB_BODY_TOO_MANY_PARTS', 'XB_BODY_TOO_LARGE_TO_INSPECT']);

/**
 * The store could not count (unreachable, timed out, or lost this year's counts): a transfer
 * carrying PI is refused whatever the mode (DESIGN: fail-closed), unless its route is explicitly
 * fail-open; then it is forwarded and flagged, its persons recorded in evidence uncounted, and
 * `xborder counts rebuild` counts them. A key mismatch is a configuration fault: always refused.
 */
export function decideStoreDown(failMode: 'closed' | 'open', code: string): Decision {
  if (failMode === 'open' && code !== 'XB_STORE_KEY_MISMATCH') return { kind: 'flag', rules: [], reason: 'store-unavailable', enforceWouldBlock: true };
  return { kind: 'block', rules: [], reason: 'store-unavailable', enforceWouldBlock: true };
}

/**
 * The ranges a counter may not reach: thresholds whose obligation no valid filing covers.
 * count/ hands these to the store so a refused transfer adds nobody. Monitor mode blocks nothing.
 */
export function blockedRanges(counter: Counter, indicators: readonly IndicatorHit[], ctx: DecideContext): Range[] {
  if (ctx.mode === 'monitor') return [];
  const uncovered = (r: Pick<Rule, 'obligation' | 'list' | 'domain' | 'item'>) => !coveringFiling(r, ctx.filings, ctx.recipient, ctx.day);
  // An important-data item that blocks refuses the whole transfer: nobody may be counted for it.
  if (indicatorRulesFired(indicators, ctx).some(({ rule }) => rule.onIndicator === 'block' && uncovered(rule))) return [{ min: 0, max: undefined }];
  const ranges: Range[] = counter.rules.filter((r) => governs(r, ctx) && uncovered(r));
  // An uncovered CIIO rule refuses any person on a counter that does not carry it itself.
  if (ctx.ciio && !isCiioCounter(counter.ref, ctx) && ctx.ciioRules.some(uncovered)) ranges.push({ min: 1, max: undefined });
  return ranges;
}

/** Is this one of the national counters that carry the CIIO rules (and fire them by themselves)? */
const isCiioCounter = (counter: string, ctx: DecideContext): boolean => ctx.ciioRules.some((r) => r.counter === counter);

/** Items for CIIOs only apply to a CIIO (Order 16 Art. 7(1)); items for non-CIIOs only to the others. */
export const appliesToCompany = (r: { companies: 'ciio' | 'non-ciio' | undefined }, ciio: boolean): boolean =>
  r.companies === undefined || (r.companies === 'ciio') === ciio;
const governs = (r: { companies: 'ciio' | 'non-ciio' | undefined }, ctx: DecideContext): boolean => appliesToCompany(r, ctx.ciio);

function indicatorRulesFired(indicators: readonly IndicatorHit[], ctx: DecideContext): { rule: IndicatorRule; seen: string[] }[] {
  if (indicators.length === 0) return [];
  const out: { rule: IndicatorRule; seen: string[] }[] = [];
  for (const domain of ctx.indicatorDomains) {
    const here = indicators.filter((h) => h.domain === domain.ref).map((h) => h.indicator);
    if (here.length === 0) continue;
    for (const rule of domain.indicatorRules) {
      if (!governs(rule, ctx) || !inScenario(rule, ctx.scenario)) continue;
      const seen = here.filter((id) => rule.indicators.has(id));
      if (seen.length > 0) out.push({ rule, seen });
    }
  }
  return out;
}

const inScenario = (rule: IndicatorRule, scenario: string): boolean =>
  rule.scenarios ? rule.scenarios.has(scenario) : !rule.exceptScenarios.has(scenario);

function cite(
  rule: Rule | IndicatorRule,
  threshold: string,
  before: number,
  added: number,
  indicators: readonly string[],
  filing: string | undefined,
): Citation {
  return {
    regime: rule.regime,
    list: rule.list,
    domain: rule.domain,
    item: rule.item,
    obligation: rule.obligation,
    counter: 'counter' in rule ? rule.counter : '',
    threshold,
    before,
    added,
    indicators,
    citation: rule.citation,
    filing,
  };
}

const n = (v: number) => v.toLocaleString('en-US');

/** `100,000 ≤ n < 2,000,000`, `n ≥ 2,000,000`: how the regulation's ranges read. */
export const describeThreshold = (r: { readonly min: number; readonly max?: number | undefined }): string => (r.max === undefined ? `n ≥ ${n(r.min)}` : `${n(r.min)} ≤ n < ${n(r.max)}`);
