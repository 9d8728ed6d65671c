/**
 * Policy packs from a directory: parse → schema → cross-references. Only this module makes a
 * `ValidatedPack`; every problem in every file is reported at once with file, line and key path.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { XbError } from '../errors.js';
import { checkSchema, formatIssue, keyPath, parseYaml, type ParsedYaml, type SourceIssue } from '../yaml-source.js';
import { PackSchema, type PackDomain, type PackIndicator, type PackItem, type RawPack } from './schema.js';
import { normalizeTerm } from './terms.js';

declare const validated: unique symbol;
export type ValidatedPack = RawPack & {
  readonly [validated]: true;
  readonly file: string;
  readonly digest: string;
  /** Line of a key path in the pack's file, for errors only the whole set of packs can find. */
  readonly lineOf: (segments: readonly (string | number)[]) => number;
};

/** Load and validate every `*.yaml` pack in `dir` and its sub-folders; throws XB_POLICY_INVALID listing all issues. */
export function loadPacks(dir: string): ValidatedPack[] {
  let files: string[];
  try {
    files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .sort();
  } catch (err) {
    throw new XbError('XB_POLICY_INVALID', `policy directory ${dir} cannot be read: ${(err as Error).message}`);
  }
  if (files.length === 0) throw new XbError('XB_POLICY_INVALID', `policy directory ${dir} holds no *.yaml pack`);
  const packs: ValidatedPack[] = [];
  const issues: SourceIssue[] = [];
  for (const name of files) {
    const path = join(dir, name);
    const shown = relative(process.cwd(), path) || path;
    const text = readFileSync(path, 'utf8');
    const result = validatePackText(text, shown);
    issues.push(...result.issues);
    if (result.pack) packs.push(result.pack);
  }
  issues.push(...checkAcrossPacks(packs));
  if (issues.length > 0) {
    throw new XbError('XB_POLICY_INVALID', `policy packs are invalid:\n${issues.map(formatIssue).join('\n')}`, {
      issues,
    });
  }
  return packs;
}

export function validatePackText(text: string, file: string): { pack?: ValidatedPack; issues: SourceIssue[] } {
  const { parsed, issues } = parseYaml(text, file);
  if (!parsed) return { issues };
  const checked = checkSchema(PackSchema, parsed, file);
  if (!checked.value) return { issues: checked.issues };
  const refIssues = checkReferences(checked.value, parsed, file);
  if (refIssues.length > 0) return { issues: refIssues };
  const digest = createHash('sha256').update(text).digest('hex');
  return { pack: { ...checked.value, file, digest, lineOf: parsed.lineOf } as ValidatedPack, issues: [] };
}

/** Everything the schema cannot say: references resolve, ranges make sense, terms are unambiguous. */
function checkReferences(pack: RawPack, src: ParsedYaml, file: string): SourceIssue[] {
  const issues: SourceIssue[] = [];
  const at: At = (segments, message) => issues.push({ file, line: src.lineOf(segments), path: keyPath(segments), message });

  const sections = { list: pack.list, domains: pack.domains, dataItems: pack.dataItems, rules: pack.rules };
  const allowed: Record<RawPack['kind'], (keyof typeof sections)[]> = { list: ['list', 'domains'], dictionary: ['dataItems'], regime: ['rules'] };
  for (const key of Object.keys(sections) as (keyof typeof sections)[]) {
    if (sections[key] !== undefined && !allowed[pack.kind].includes(key)) at([key], `a ${pack.kind} pack has no \`${key}\` section (it has: ${allowed[pack.kind].join(', ')})`);
  }
  for (const key of allowed[pack.kind]) if (sections[key] === undefined) at([], `a ${pack.kind} pack needs a \`${key}\` section`);

  checkDataItems(pack.dataItems ?? [], ['dataItems'], at);
  checkUnique((pack.domains ?? []).map((d) => d.id), ['domains'], 'domain', at);
  (pack.domains ?? []).forEach((domain, d) => checkDomain(domain, ['domains', d], at));
  return issues;
}

function checkDomain(domain: PackDomain, base: (string | number)[], at: At): void {
  const scenarios = domain.scenarios === 'any' ? undefined : new Set(domain.scenarios.map((s) => s.id));
  const dataItems = new Set(domain.dataItems.map((i) => i.id));
  const indicators = new Set((domain.indicators ?? []).map((i) => i.id));
  const counters = new Map(domain.counters.map((c) => [c.id, c]));
  const knownScenario = (s: string, where: (string | number)[]) => {
    if (scenarios && !scenarios.has(s)) at(where, `unknown scenario ${s} (the domain lists: ${[...scenarios].join(', ')})`);
  };

  checkDataItems(domain.dataItems, [...base, 'dataItems'], at);
  checkIndicators(domain.indicators ?? [], [...base, 'indicators'], at);
  if (domain.scenarios !== 'any') checkUnique(domain.scenarios.map((s) => s.id), [...base, 'scenarios'], 'scenario', at);
  checkUnique(domain.counters.map((c) => c.id), [...base, 'counters'], 'counter', at);
  for (const kind of ['general', 'sensitive'] as const) {
    const n = domain.counters.filter((c) => c.kind === kind).length;
    // A positive list's other PI counts where its fallback says (e.g. the national counters).
    if (domain.fallback && n > 0) at([...base, 'counters'], `a domain with a fallback counts ${kind} PI there, so it has no ${kind} counter of its own`);
    if (!domain.fallback && n !== 1) at([...base, 'counters'], `a domain needs exactly one ${kind} counter (or a fallback), found ${n}`);
  }
  domain.counters.forEach((c, i) => {
    if (c.kind === 'limited' && !c.scope) at([...base, 'counters', i], 'a limited counter needs a scope');
    if (c.kind !== 'limited' && c.scope) at([...base, 'counters', i, 'scope'], `a ${c.kind} counter has no scope`);
    c.scope?.scenarios.forEach((s, j) => knownScenario(s, [...base, 'counters', i, 'scope', 'scenarios', j]));
    c.scope?.dataItems.forEach((s, j) => {
      if (!dataItems.has(s)) at([...base, 'counters', i, 'scope', 'dataItems', j], `unknown data item ${s}`);
    });
  });

  const numbers = new Set<number>();
  domain.items.forEach((item, i) => {
    const ip = [...base, 'items', i];
    if (numbers.has(item.number)) at([...ip, 'number'], `duplicate item number ${item.number}`);
    numbers.add(item.number);
    if (Array.isArray(item.scenarios)) item.scenarios.forEach((s, j) => knownScenario(s, [...ip, 'scenarios', j]));
    item.dataItems?.forEach((s, j) => {
      if (!dataItems.has(s)) at([...ip, 'dataItems', j], `unknown data item ${s}`);
    });
    item.indicators?.forEach((s, j) => {
      if (!indicators.has(s)) at([...ip, 'indicators', j], `unknown indicator ${s}`);
    });
    // Something must be able to trigger every item, or it is dead text.
    if (item.kind === 'personal-information' && !item.thresholds) at(ip, `personal-information item ${item.number} needs thresholds`);
    if (item.kind === 'important-data' && !item.indicators && !item.floors && !item.thresholds)
      at(ip, `important-data item ${item.number} has no indicator, floor or threshold: nothing would ever find its data`);
    if (item.onIndicator && !item.indicators) at([...ip, 'onIndicator'], 'onIndicator needs indicators');
    item.thresholds?.forEach((t, j) => {
      const counter = counters.get(t.counter);
      if (!counter) at([...ip, 'thresholds', j, 'counter'], `unknown counter ${t.counter}`);
      if (t.max !== undefined && t.max <= t.min) at([...ip, 'thresholds', j, 'max'], `max ${t.max} is not above min ${t.min}`);
      // An item limited to listed data items counts on a limited counter with exactly its limits.
      if (counter && item.dataItems && !sameScope(counter.scope, item))
        at([...ip, 'thresholds', j, 'counter'], `item ${item.number} is limited to listed data items, so counter ${t.counter} must be limited with the same scenarios and data items`);
      if (counter?.kind === 'limited' && !item.dataItems) at([...ip, 'thresholds', j, 'counter'], `counter ${t.counter} is limited, but item ${item.number} lists no data items`);
    });
  });
  domain.items.forEach((item, i) => {
    if (typeof item.scenarios === 'object' && !Array.isArray(item.scenarios))
      item.scenarios.except.forEach((n, j) => {
        if (!numbers.has(n)) at([...base, 'items', i, 'scenarios', 'except', j], `unknown item number ${n}`);
      });
  });
  // Two thresholds on one counter must not claim the same persons for different obligations
  // (unless one governs CIIOs and the other everyone else).
  for (const counter of counters.keys()) {
    const ranges = domain.items.flatMap((item, i) =>
      (item.thresholds ?? []).flatMap((t, j) => (t.counter === counter ? [{ i, j, min: t.min, max: t.max ?? Infinity, companies: item.companies }] : [])),
    );
    ranges.forEach((a, x) =>
      ranges.slice(x + 1).forEach((b) => {
        const disjointCompanies = a.companies !== undefined && b.companies !== undefined && a.companies !== b.companies;
        if (a.min < b.max && b.min < a.max && !disjointCompanies)
          at([...base, 'items', b.i, 'thresholds', b.j], `threshold on ${counter} overlaps item ${domain.items[a.i]?.number}'s`);
      }),
    );
  }
}

type At = (segments: (string | number)[], message: string) => void;

function checkUnique(ids: readonly string[], base: (string | number)[], what: string, at: At): void {
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) at([...base, i, 'id'], `duplicate ${what} id ${id}`);
  });
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;

function sameScope(scope: { scenarios: string[]; dataItems: string[] } | undefined, item: PackItem): boolean {
  if (!scope || !item.dataItems || !Array.isArray(item.scenarios)) return false;
  return sameSet(scope.dataItems, item.dataItems) && sameSet(scope.scenarios, item.scenarios);
}

function checkDataItems(items: RawPack['dataItems'] & object, base: (string | number)[], at: At): void {
  const ids = new Set<string>();
  const terms = new Map<string, string>();
  items.forEach((item, i) => {
    if (ids.has(item.id)) at([...base, i, 'id'], `duplicate data item ${item.id}`);
    ids.add(item.id);
    if (item.fields.length === 0 && !item.detectors?.length) at([...base, i, 'fields'], 'a data item needs field names or a detector');
    item.fields.forEach((f, j) => {
      const term = normalizeTerm(f);
      const owner = terms.get(term);
      if (owner && owner !== item.id) at([...base, i, 'fields', j], `field name ${f} is already claimed by data item ${owner}`);
      terms.set(term, item.id);
    });
  });
}

function checkIndicators(items: readonly PackIndicator[], base: (string | number)[], at: At): void {
  checkUnique(items.map((i) => i.id), base, 'indicator', at);
  const terms = new Map<string, string>();
  const keywords = new Map<string, string>();
  items.forEach((item, i) => {
    item.fields.forEach((f, j) => {
      const owner = terms.get(normalizeTerm(f));
      if (owner && owner !== item.id) at([...base, i, 'fields', j], `field name ${f} is already claimed by indicator ${owner}`);
      terms.set(normalizeTerm(f), item.id);
    });
    item.keywords?.forEach((k, j) => {
      const key = k.normalize('NFKC').toLowerCase();
      const owner = keywords.get(key);
      if (owner && owner !== item.id) at([...base, i, 'keywords', j], `keyword ${k} is already claimed by indicator ${owner}`);
      keywords.set(key, item.id);
    });
  });
}

/** What only the whole set of packs can say: unique ids, fallbacks and regime lists that resolve. */
function checkAcrossPacks(packs: ValidatedPack[]): SourceIssue[] {
  const issues: SourceIssue[] = [];
  const issue = (p: ValidatedPack, segments: (string | number)[], message: string) =>
    issues.push({ file: p.file, line: p.lineOf(segments), path: keyPath(segments), message });
  const ids = new Map<string, string>();
  const lists = new Map<string, ValidatedPack>();
  const regimes = new Map<string, string>();
  for (const p of packs) {
    const other = ids.get(p.id);
    if (other) issue(p, ['id'], `pack id ${p.id} is also used by ${other}`);
    ids.set(p.id, p.file);
    if (p.list) {
      const same = lists.get(p.list.id);
      if (same) issue(p, ['list', 'id'], `list ${p.list.id} is also defined by ${same.file}`);
      lists.set(p.list.id, p);
    }
    if (p.kind === 'regime') {
      const same = regimes.get(p.regime);
      if (same) issue(p, ['regime'], `regime ${p.regime} is also described by ${same}`);
      regimes.set(p.regime, p.file);
    }
  }
  const domains = new Map<string, PackDomain>();
  for (const p of lists.values()) for (const d of p.domains ?? []) domains.set(`${p.list?.id}/${d.id}`, d);
  for (const p of lists.values())
    (p.domains ?? []).forEach((d, i) => {
      if (!d.fallback) return;
      const target = domains.get(d.fallback);
      if (!target) issue(p, ['domains', i, 'fallback'], `no loaded pack has domain ${d.fallback}`);
      else if (target.fallback) issue(p, ['domains', i, 'fallback'], `${d.fallback} has a fallback itself; point at the domain that counts`);
    });
  // Dictionaries apply to every domain, so two of them must not claim one field name.
  const terms = new Map<string, string>();
  for (const p of packs.filter((x) => x.kind === 'dictionary'))
    (p.dataItems ?? []).forEach((item, i) =>
      item.fields.forEach((f, j) => {
        const term = normalizeTerm(f);
        const owner = terms.get(term);
        if (owner && owner !== `${p.id}:${item.id}`) issue(p, ['dataItems', i, 'fields', j], `field name ${f} is already claimed by ${owner.replace(':', ' data item ')}`);
        terms.set(term, `${p.id}:${item.id}`);
      }),
    );
  for (const p of packs)
    p.rules?.lists.forEach((id, i) => {
      const list = lists.get(id);
      if (!list) issue(p, ['rules', 'lists', i], `no loaded pack defines list ${id}`);
      else if (list.regime !== p.regime) issue(p, ['rules', 'lists', i], `list ${id} belongs to regime ${list.regime}, not ${p.regime}`);
    });
  return issues;
}
