/**
 * One index over the important-data indicators of every domain that applies to a route (its own
 * and the regime's every-transfer lists), built once per snapshot: the hot path then does one
 * memoized field-name lookup and one regex pass per value, however many domains apply.
 */
import type { Domain } from './types.js';

export interface IndicatorRef {
  readonly domain: string;
  readonly indicator: string;
}

export interface IndicatorIndex {
  /** Normalized field name → the indicators it names. */
  readonly fields: ReadonlyMap<string, readonly IndicatorRef[]>;
  /**
   * Normalized keyword → the indicators it suggests, its own and those of every shorter keyword
   * inside it (关键工艺参数 also says 工艺参数): one match reports all of them.
   */
  readonly keywords: ReadonlyMap<string, readonly IndicatorRef[]>;
  /** Any keyword, longest first; undefined when there are none. */
  readonly pattern: RegExp | undefined;
  /** Indicators that fire on the number of precise locations in one transfer. */
  readonly volumes: readonly { readonly ref: IndicatorRef; readonly minPreciseLocations: number }[];
}

export function indexIndicators(domains: readonly Domain[]): IndicatorIndex {
  const fields = new Map<string, IndicatorRef[]>();
  const keywords = new Map<string, IndicatorRef[]>();
  const add = (map: Map<string, IndicatorRef[]>, key: string, ref: IndicatorRef) => map.set(key, [...(map.get(key) ?? []), ref]);
  for (const d of domains) {
    for (const [term, ind] of d.indicatorFields) add(fields, term, { domain: d.ref, indicator: ind.id });
    for (const [kw, ind] of d.indicatorKeywords) add(keywords, kw, { domain: d.ref, indicator: ind.id });
  }
  const sorted = [...keywords.keys()].sort((a, b) => b.length - a.length);
  const withInner = new Map<string, IndicatorRef[]>();
  for (const kw of sorted) withInner.set(kw, sorted.filter((other) => kw.includes(other)).flatMap((other) => keywords.get(other) ?? []));
  const volumes = domains.flatMap((d) => d.indicatorVolumes.map((v) => ({ ref: { domain: d.ref, indicator: v.indicator.id }, minPreciseLocations: v.minPreciseLocations })));
  return { fields, keywords: withInner, pattern: sorted.length > 0 ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : undefined, volumes };
}

export const EMPTY_INDEX: IndicatorIndex = { fields: new Map(), keywords: new Map(), pattern: undefined, volumes: [] };

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
