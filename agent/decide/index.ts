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
import type { Counter, Domain, FloorRule, IndicatorRule, Rule } from '../policy/types.js';
import type { Citation, CountResult, Decision, IndicatorHit, Notice } from '../types.js';
import type { ExemptionStatus } from './exemptions.js';
import { coveringFiling, filingDeadlines, materialChanges, remediesFor, type Filing } from './filings.js';

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
  /** Share of a counter's next uncovered threshold at which a transfer is flagged. */
  readonly alertLevel: number;
  /** Important-data rules on persons held, from the route's indicator domains, and the holdings. */
  readonly floorRules: readonly FloorRule[];
  readonly personsHeld: PolicySnapshot['personsHeld'];
  /** The route's exemption, as this transfer's content bears it out (exemptions.ts); set per transfer. */
  readonly exemption?: ExemptionStatus | undefined;
  /** The transfer's data items, for a filing's declared side; set per transfer. */
  readonly dataItems?: readonly string[];
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
    alertLevel: snapshot.alertLevel,
    floorRules: route.floorRules,
    personsHeld: snapshot.personsHeld,
  };
}

export function decide(counted: CountResult, indicators: readonly IndicatorHit[], ctx: DecideContext): Decision {
  if (ctx.exemption?.holds) return { kind: 'allow', rules: [], reason: 'exempt', enforceWouldBlock: false };
  const filingFor = (rule: Rule | IndicatorRule | FloorRule) => coveringFiling(rule, ctx.filings, ctx.recipient, ctx.day)?.id;
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
        // Cited on the counter the persons went on: the national one did not move.
        fired.push(cite(rule, 'any personal information (CIIO)', first.before, first.added, [], filingFor(rule), first.counter));
    }
  }
  for (const { rule, floor } of floorRulesFired(personsOf(counted, ctx), ctx)) {
    fired.push(cite(rule, `held ≥ ${n(floor.min)} persons' ${floor.held}`, 0, 0, [], filingFor(rule)));
  }
  const review: Citation[] = [];
  for (const { rule, seen } of indicatorRulesFired(indicators, ctx)) {
    const c = cite(rule, `any indicator: ${seen.join(', ')}`, 0, 0, seen, filingFor(rule));
    // Indicators only suggest important data: a `review` row is flagged for a person to judge.
    if (rule.onIndicator === 'review' && c.filing === undefined) review.push(c);
    else fired.push(c);
  }
  const notices = noticesFor(counted, fired, ctx);
  const uncovered = fired.filter((c) => c.filing === undefined);
  if (uncovered.length > 0) {
    const reason = blockReason(uncovered);
    return ctx.mode === 'enforce'
      ? { kind: 'block', rules: uncovered, reason, enforceWouldBlock: true, notices }
      : { kind: 'flag', rules: [...fired, ...review], reason, enforceWouldBlock: true, notices };
  }
  if (review.length > 0) return { kind: 'flag', rules: [...fired, ...review], reason: 'important-data-review', enforceWouldBlock: false, notices };
  if (notices.length > 0) return { kind: 'flag', rules: fired, reason: (notices[0] as Notice).code, enforceWouldBlock: false, notices };
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
  if (ctx.mode === 'monitor' || ctx.exemption?.holds) return [];
  const uncovered = (r: Pick<Rule, 'obligation' | 'list' | 'domain' | 'item'>) => !coveringFiling(r, ctx.filings, ctx.recipient, ctx.day);
  // An important-data item that blocks refuses the whole transfer: nobody may be counted for it.
  if (indicatorRulesFired(indicators, ctx).some(({ rule }) => rule.onIndicator === 'block' && uncovered(rule))) return [{ min: 0, max: undefined }];
  // So does holding enough PI that this kind of PI is important data (a floor), uncovered.
  const held = counter.kind === 'sensitive' ? { any: true, sensitive: true } : { any: true, sensitive: false };
  if (floorRulesFired(held, ctx).some(({ rule }) => uncovered(rule))) return [{ min: 0, max: undefined }];
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

/** Core data and export-controlled items name themselves; else important data (no counter) or a threshold. */
function blockReason(uncovered: readonly Citation[]): string {
  if (uncovered.some((c) => c.obligation === 'prohibited')) return 'core-data';
  if (uncovered.some((c) => c.obligation === 'export-control')) return 'export-control';
  return uncovered.every((c) => c.counter === '') ? 'important-data' : 'threshold-uncovered';
}

/** Which kinds of PI the transfer carries: any persons, and sensitive ones (on a `sensitive` counter). */
function personsOf(counted: CountResult, ctx: DecideContext): { any: boolean; sensitive: boolean } {
  return {
    any: counted.persons.length > 0,
    sensitive: counted.counters.some((d) => d.persons.length > 0 && ctx.counters.get(d.counter)?.kind === 'sensitive'),
  };
}

/**
 * The floors on persons held this transfer's persons fall under, as text: PI that is important data
 * because of the company's holdings contradicts any exemption (exemptions.ts), like an indicator.
 */
export function floorsReached(persons: { any: boolean; sensitive: boolean }, ctx: DecideContext): string[] {
  return floorRulesFired(persons, ctx).map(({ rule, floor }) => `${rule.list}/${rule.domain} item ${rule.item}: held ≥ ${n(floor.min)} persons' ${floor.held}`);
}

/**
 * Floors on persons held that this transfer's PI falls under. INTERPRETATION: a company holding
 * PI past a floor holds important data, and sending any of that kind of PI is sending part of it;
 * the accounts-or-medical floor is applied to any sensitive PI (the gateway does not tell
 * accounts and medical data apart from other sensitive PI: the conservative reading).
 */
function floorRulesFired(persons: { any: boolean; sensitive: boolean }, ctx: DecideContext): { rule: FloorRule; floor: FloorRule['floors'][number] }[] {
  if (!persons.any) return [];
  const held = { 'personal-information': ctx.personsHeld.personalInformation, sensitive: ctx.personsHeld.sensitive, 'accounts-or-medical': ctx.personsHeld.accountsOrMedical };
  const out: { rule: FloorRule; floor: FloorRule['floors'][number] }[] = [];
  for (const rule of ctx.floorRules) {
    if (!governs(rule, ctx)) continue;
    const floor = rule.floors.find(
      (f) => held[f.held] >= f.min && (!f.ciioOnly || ctx.ciio) && (f.held === 'personal-information' || persons.sensitive),
    );
    if (floor) out.push({ rule, floor });
  }
  return out;
}

/**
 * What to act on beyond the rules: the exemption contradicted, a counter at its alert level short
 * of an uncovered threshold, and for each filing that covers a fired rule, its deadlines and any
 * material change against what it declared (filings.ts).
 */
function noticesFor(counted: CountResult, fired: readonly Citation[], ctx: DecideContext): Notice[] {
  const out: Notice[] = [];
  if (ctx.exemption?.notice) out.push(ctx.exemption.notice);
  for (const d of counted.counters) {
    const next = ctx.counters.get(d.counter)?.rules.find((r) => governs(r, ctx) && d.after < r.min && !coveringFiling(r, ctx.filings, ctx.recipient, ctx.day));
    if (next && d.after >= ctx.alertLevel * next.min)
      out.push({
        code: 'alert-level',
        detail: `${d.counter} holds ${n(d.after)} persons, ${Math.floor((d.after / next.min) * 100)}% of ${describeThreshold(next)} (item ${next.item}, ${next.obligation}), which no filing covers`,
        citation: next.citation,
        counter: d.counter,
      });
  }
  const persons = Math.max(0, ...counted.counters.map((d) => d.after));
  for (const id of new Set(fired.flatMap((c) => (c.filing ? [c.filing] : [])))) {
    const filing = ctx.filings.find((f) => f.id === id);
    if (!filing) continue;
    // The volume declared is checked against the fullest counter the filing covers here.
    const onIt = fired.filter((c) => c.filing === id && c.counter !== '').sort((a, b) => b.before + b.added - (a.before + a.added))[0];
    const observed = { scenario: ctx.scenario, recipient: ctx.recipient, dataItems: ctx.dataItems ?? [], persons: onIt ? onIt.before + onIt.added : persons, counter: onIt?.counter };
    out.push(...filingDeadlines(filing, ctx.day), ...materialChanges(filing, observed));
  }
  return out;
}

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
  rule: Rule | IndicatorRule | FloorRule,
  threshold: string,
  before: number,
  added: number,
  indicators: readonly string[],
  filing: string | undefined,
  onCounter?: string,
): Citation {
  const counter = onCounter ?? ('counter' in rule ? rule.counter : '');
  const remedies = remediesFor(rule.obligation);
  const on = counter ? ` on ${counter.split('/').pop()} (${n(before)} + ${n(added)})` : indicators.length > 0 ? ` (${indicators.join(', ')})` : '';
  const kinds = remedies.map((k) => k.replace(/-/g, ' '));
  const either = kinds.length > 1 ? `${kinds.slice(0, -1).join(', ')} or ${kinds.at(-1) as string}` : (kinds[0] ?? '');
  const cover = filing ? `covered by ${filing}` : remedies.length > 0 ? `no filing covers it; a ${either} would allow it` : 'no filing can allow it';
  return {
    regime: rule.regime,
    list: rule.list,
    domain: rule.domain,
    item: rule.item,
    obligation: rule.obligation,
    counter,
    threshold,
    before,
    added,
    indicators,
    citation: rule.citation,
    filing,
    remedies,
    // One sentence, the same in the 451 body, the evidence record and `xborder classify`.
    summary: `${rule.list}/${rule.domain} item ${rule.item}: ${threshold}${on} needs ${rule.obligation}; ${cover} — ${rule.citation}`,
  };
}

const n = (v: number) => v.toLocaleString('en-US');

/** `100,000 ≤ n < 2,000,000`, `n ≥ 2,000,000`: how the regulation's ranges read. */
export const describeThreshold = (r: { readonly min: number; readonly max?: number | undefined }): string => (r.max === undefined ? `n ≥ ${n(r.min)}` : `${n(r.min)} ≤ n < ${n(r.max)}`);
