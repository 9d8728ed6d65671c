/**
 * A compiled policy: packs turned into maps and direct links once, at load. The hot path only
 * reads these; reload builds a new one and swaps it whole.
 */
import type { Detector, Identifies, Obligation } from './schema.js';

export interface DataItem {
  readonly id: string;
  readonly name: { readonly zh: string; readonly en: string };
  readonly subject: string | undefined;
  readonly identifies: Identifies | undefined;
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
  readonly regime: string;
  readonly list: string;
  readonly id: string;
  readonly name: { readonly zh: string; readonly en: string };
  readonly scenarios: ReadonlySet<string>;
  /** Item numbers of the domain. */
  readonly items: ReadonlySet<number>;
  /** Normalized field name → data item: the domain's listed items first, then the dictionaries. */
  readonly fieldNames: ReadonlyMap<string, DataItem>;
  readonly detectorItems: ReadonlyMap<Detector, DataItem>;
  readonly limited: readonly Counter[];
  readonly general: Counter;
  readonly sensitive: Counter;
}

export interface CompiledPolicy {
  /** SHA-256 over every pack's digest, in file order: the policy revision in logs and evidence. */
  readonly revision: string;
  readonly packs: readonly { readonly id: string; readonly file: string; readonly digest: string }[];
  readonly domains: ReadonlyMap<string, Domain>;
}
