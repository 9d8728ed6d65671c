/** ValidatedPack[] → CompiledPolicy: dictionaries into Maps, references into direct links. */
import { createHash } from 'node:crypto';
import type { ValidatedPack } from './load.js';
import type { Detector, PackDataItem, PackDomain, PackRegime, Regime } from './schema.js';
import { normalizeTerm } from './terms.js';
import type { CompiledPolicy, Counter, DataItem, Domain, Indicator, FloorRule, IndicatorRule, Rule } from './types.js';

export function compilePolicy(packs: readonly ValidatedPack[]): CompiledPolicy {
  const revision = createHash('sha256');
  for (const p of packs) revision.update(`${p.id}:${p.digest}\n`);
  const dictionaryItems = packs.filter((p) => p.kind === 'dictionary').flatMap((p) => p.dataItems ?? []);
  const own = new Map<string, { domain: Omit<Domain, 'general' | 'sensitive'>; counters: Counter[]; fallback: string | undefined }>();
  for (const pack of packs) {
    if (pack.kind !== 'list' || !pack.list) continue;
    for (const d of pack.domains ?? []) {
      const compiled = compileDomain(pack.regime, pack.list.id, pack.list.appliesTo ?? 'routes', pack.list.exemptPersonsCount, d, dictionaryItems);
      own.set(compiled.domain.ref, { ...compiled, fallback: d.fallback });
    }
  }
  // Second pass: link each domain's general and sensitive counters, a positive list's to its fallback's.
  const domains = new Map<string, Domain>();
  for (const [ref, { domain, counters, fallback }] of own) {
    const source = fallback ? (own.get(fallback)?.counters ?? []) : counters;
    // load.ts guarantees exactly one general and one sensitive counter where counting happens.
    const one = (kind: Counter['kind']) => source.find((c) => c.kind === kind) as Counter;
    domains.set(ref, { ...domain, general: one('general'), sensitive: one('sensitive') });
  }
  const regimes = new Map<Regime, PackRegime>();
  for (const p of packs) if (p.kind === 'regime' && p.rules) regimes.set(p.regime, p.rules);
  const everyTransfer = new Map<Regime, Domain[]>();
  for (const d of domains.values()) if (d.appliesTo === 'every-transfer') everyTransfer.set(d.regime, [...(everyTransfer.get(d.regime) ?? []), d]);
  return {
    revision: revision.digest('hex'),
    packs: packs.map((p) => ({ id: p.id, file: p.file, digest: p.digest })),
    domains,
    regimes,
    everyTransfer,
  };
}

function compileDomain(
  regime: Regime,
  list: string,
  appliesTo: 'routes' | 'every-transfer',
  exemptPersonsCount: boolean,
  d: PackDomain,
  dictionary: readonly PackDataItem[],
): { domain: Omit<Domain, 'general' | 'sensitive'>; counters: Counter[] } {
  const ref = `${list}/${d.id}`;
  const fieldNames = new Map<string, DataItem>();
  const detectorItems = new Map<Detector, DataItem>();
  // Domain items win over dictionary items for the same field name: they are more specific.
  for (const raw of [...d.dataItems, ...dictionary]) {
    const item: DataItem = { id: raw.id, name: raw.name, subject: raw.subject, identifies: raw.identifies, sensitive: raw.sensitive };
    for (const f of raw.fields) {
      const term = normalizeTerm(f);
      if (!fieldNames.has(term)) fieldNames.set(term, item);
    }
    for (const det of raw.detectors ?? []) if (!detectorItems.has(det)) detectorItems.set(det, item);
  }
  const indicatorVolumes: { indicator: Indicator; minPreciseLocations: number }[] = [];
  const indicatorFields = new Map<string, Indicator>();
  const indicatorKeywords = new Map<string, Indicator>();
  for (const raw of d.indicators ?? []) {
    const indicator: Indicator = { id: raw.id, name: raw.name };
    for (const f of raw.fields) indicatorFields.set(normalizeTerm(f), indicator);
    for (const k of raw.keywords ?? []) indicatorKeywords.set(k.normalize('NFKC').toLowerCase(), indicator);
    if (raw.minPreciseLocations !== undefined) indicatorVolumes.push({ indicator, minPreciseLocations: raw.minPreciseLocations });
  }
  /** What every rule of an item carries: where it is, what it obliges, its citation, whose transfers it governs. */
  const ruleOf = (item: PackDomain['items'][number]) => ({
    regime,
    list,
    domain: d.id,
    item: item.number,
    obligation: item.obligation,
    citation: item.citation,
    companies: item.companies,
  });
  const counters = d.counters.map((c): Counter => {
    const rules: Rule[] = d.items
      .flatMap((item) =>
        (item.thresholds ?? [])
          .filter((t) => t.counter === c.id)
          .map((t) => ({ ...ruleOf(item), counter: `${ref}/${c.id}`, min: t.min, max: t.max })),
      )
      .sort((a, b) => a.min - b.min);
    return {
      ref: `${ref}/${c.id}`,
      id: c.id,
      kind: c.kind,
      scope: c.scope ? { scenarios: new Set(c.scope.scenarios), dataItems: new Set(c.scope.dataItems) } : undefined,
      rules,
    };
  });
  const scenariosOf = (n: number): string[] => {
    const s = d.items.find((i) => i.number === n)?.scenarios;
    return Array.isArray(s) ? s : [];
  };
  const indicatorRules: IndicatorRule[] = d.items
    .filter((item) => item.indicators)
    .map((item) => ({
      ...ruleOf(item),
      indicators: new Set(item.indicators),
      scenarios: Array.isArray(item.scenarios) ? new Set(item.scenarios) : undefined,
      exceptScenarios: new Set(typeof item.scenarios === 'object' && !Array.isArray(item.scenarios) ? item.scenarios.except.flatMap(scenariosOf) : []),
      onIndicator: item.onIndicator ?? 'block',
    }));
  const floorRules: FloorRule[] = d.items
    .filter((item) => item.floors)
    .map((item) => ({ ...ruleOf(item), floors: (item.floors ?? []).map((f) => ({ held: f.held, min: f.min, ciioOnly: f.ciioOnly ?? false })) }));
  return {
    counters,
    domain: {
      ref,
      regime,
      list,
      id: d.id,
      name: d.name,
      scenarios: d.scenarios === 'any' ? undefined : new Set(d.scenarios.map((s) => s.id)),
      items: new Set(d.items.map((i) => i.number)),
      fieldNames,
      detectorItems,
      indicatorFields,
      indicatorKeywords,
      indicatorVolumes,
      indicatorRules,
      floorRules,
      exemptPersonsCount,
      limited: counters.filter((c) => c.kind === 'limited'),
      appliesTo,
    },
  };
}

