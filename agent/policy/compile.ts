/** ValidatedPack[] → CompiledPolicy: dictionaries into Maps, references into direct links. */
import { createHash } from 'node:crypto';
import type { ValidatedPack } from './load.js';
import type { Detector } from './schema.js';
import type { PackDataItem, PackDomain } from './schema.js';
import { normalizeTerm } from './terms.js';
import type { CompiledPolicy, Counter, DataItem, Domain, Rule } from './types.js';

export function compilePolicy(packs: readonly ValidatedPack[]): CompiledPolicy {
  const revision = createHash('sha256');
  for (const p of packs) revision.update(`${p.id}:${p.digest}\n`);
  const dictionaryItems = packs.filter((p) => p.kind === 'dictionary').flatMap((p) => p.dataItems ?? []);
  const domains = new Map<string, Domain>();
  for (const pack of packs) {
    if (pack.kind !== 'list' || !pack.list) continue;
    for (const d of pack.domains ?? []) {
      const domain = compileDomain(pack.regime, pack.list.id, d, dictionaryItems);
      domains.set(domain.ref, domain);
    }
  }
  return {
    revision: revision.digest('hex'),
    packs: packs.map((p) => ({ id: p.id, file: p.file, digest: p.digest })),
    domains,
  };
}

function compileDomain(regime: string, list: string, d: PackDomain, dictionary: readonly PackDataItem[]): Domain {
  const ref = `${list}/${d.id}`;
  const fieldNames = new Map<string, DataItem>();
  const detectorItems = new Map<Detector, DataItem>();
  // Domain items win over dictionary items for the same field name: they are more specific.
  for (const raw of [...d.dataItems, ...dictionary]) {
    const item: DataItem = { id: raw.id, name: raw.name, subject: raw.subject, identifies: raw.identifies };
    for (const f of raw.fields) {
      const term = normalizeTerm(f);
      if (!fieldNames.has(term)) fieldNames.set(term, item);
    }
    for (const det of raw.detectors ?? []) if (!detectorItems.has(det)) detectorItems.set(det, item);
  }
  const counters = d.counters.map((c): Counter => {
    const rules: Rule[] = d.items
      .flatMap((item) =>
        item.thresholds
          .filter((t) => t.counter === c.id)
          .map((t) => ({
            regime,
            list,
            domain: d.id,
            item: item.number,
            obligation: item.obligation,
            counter: `${ref}/${c.id}`,
            min: t.min,
            max: t.max,
            citation: item.citation,
          })),
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
  // load.ts guarantees exactly one general and one sensitive counter per domain.
  const one = (kind: Counter['kind']) => counters.find((c) => c.kind === kind) as Counter;
  return {
    ref,
    regime,
    list,
    id: d.id,
    name: d.name,
    scenarios: new Set(d.scenarios.map((s) => s.id)),
    items: new Set(d.items.map((i) => i.number)),
    fieldNames,
    detectorItems,
    limited: counters.filter((c) => c.kind === 'limited'),
    general: one('general'),
    sensitive: one('sensitive'),
  };
}
