/**
 * A compiled policy: packs turned into maps and direct links once, at load. The hot path only
 * reads these; reload builds a new one and swaps it whole.
 */
import type { Detector, Identifies, Obligation, PackRegime, Regime } from './schema.js';

export interface DataItem {
  readonly id: string;
  readonly name: { readonly zh: string; readonly en: string };
  readonly subject: string | undefined;
  readonly identifies: Identifies | undefined;
  /** Sensitive PI: always, or only under the strict profile (gbt35273). */
  readonly sensitive: 'always' | 'strict' | undefined;
}

/** One threshold of one item, on one counter: persons in [min, max) need `obligation`. */
export interface Rule {
  readonly regime: string;
  readonly list: string;
  readonly domain: string;
  readonly item: number;
  readonly obligation: Obligation;
  readonly counter: string;
  readonly min: number;
  readonly max: number | undefined;
  readonly citation: string;
  /** CIIOs only, non-CIIOs only, or everyone. */
  readonly companies: 'ciio' | 'non-ciio' | undefined;
}

/** An important-data item found by indicators: any one present triggers it. */
export interface IndicatorRule {
  readonly regime: string;
  readonly list: string;
  readonly domain: string;
  readonly item: number;
  readonly obligation: Obligation;
  readonly indicators: ReadonlySet<string>;
  /** Route scenarios the item covers; undefined: every scenario. */
  readonly scenarios: ReadonlySet<string> | undefined;
  /** Scenarios excluded ({except: [items]}); checked when `scenarios` is undefined. */
  readonly exceptScenarios: ReadonlySet<string>;
  readonly onIndicator: 'block' | 'review';
  readonly citation: string;
  readonly companies: 'ciio' | 'non-ciio' | undefined;
}

/**
 * An important-data rule on persons *held*, not sent (e.g. Beijing unified rule 2: a company holding
 * 10M persons' PI holds important data): with the company's holdings at a floor, a transfer of that
 * kind of PI is a transfer of important data.
 */
export interface FloorRule {
  readonly regime: string;
  readonly list: string;
  readonly domain: string;
  readonly item: number;
  readonly obligation: Obligation;
  readonly floors: readonly { readonly held: 'personal-information' | 'sensitive' | 'accounts-or-medical'; readonly min: number; readonly ciioOnly: boolean }[];
  readonly citation: string;
  readonly companies: 'ciio' | 'non-ciio' | undefined;
}

export interface Indicator {
  readonly id: string;
  readonly name: { readonly zh: string; readonly en: string };
}

export interface Counter {
  /** Stable name in the store and in every report: `list/domain/id`. */
  readonly ref: string;
  readonly id: string;
  readonly kind: 'limited' | 'general' | 'sensitive';
  readonly scope: { readonly scenarios: ReadonlySet<string>; readonly dataItems: ReadonlySet<string> } | undefined;
  /** The rules on this counter, lowest threshold first. */
  readonly rules: readonly Rule[];
}

export interface Domain {
  /** `list/domain`, as routes name it. */
  readonly ref: string;
  readonly regime: Regime;
  readonly list: string;
  readonly id: string;
  readonly name: { readonly zh: string; readonly en: string };
  /** Scenarios routes may name; undefined: any (the national rules, category-style lists). */
  readonly scenarios: ReadonlySet<string> | undefined;
  /** Item numbers of the domain. */
  readonly items: ReadonlySet<number>;
  /** Normalized field name → data item: the domain's listed items first, then the dictionaries. */
  readonly fieldNames: ReadonlyMap<string, DataItem>;
  readonly detectorItems: ReadonlyMap<Detector, DataItem>;
  /** Normalized field name → important-data indicator. */
  readonly indicatorFields: ReadonlyMap<string, Indicator>;
  /** Normalized keyword → indicator (policy/indicators.ts indexes them per route). */
  readonly indicatorKeywords: ReadonlyMap<string, Indicator>;
  /** Indicators found by volume: at least `minPreciseLocations` precise locations in one transfer. */
  readonly indicatorVolumes: readonly { readonly indicator: Indicator; readonly minPreciseLocations: number }[];
  readonly indicatorRules: readonly IndicatorRule[];
  readonly floorRules: readonly FloorRule[];
  /** Do persons sent under an exemption count toward this list's thresholds (the pack's setting)? */
  readonly exemptPersonsCount: boolean;
  readonly limited: readonly Counter[];
  /** The domain's own general and sensitive counters, or its fallback's (positive lists). */
  readonly general: Counter;
  readonly sensitive: Counter;
  readonly appliesTo: 'routes' | 'every-transfer';
}

export interface CompiledPolicy {
  /** SHA-256 over every pack's digest, in file order: the policy revision in logs and evidence. */
  readonly revision: string;
  readonly packs: readonly { readonly id: string; readonly file: string; readonly digest: string }[];
  readonly domains: ReadonlyMap<string, Domain>;
  readonly regimes: ReadonlyMap<Regime, PackRegime>;
  /** Per regime, the domains whose lists apply to every transfer (the important-data reference rules). */
  readonly everyTransfer: ReadonlyMap<Regime, readonly Domain[]>;
}
