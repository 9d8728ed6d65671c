/**
 * classify: Records → Classified.
 * In: parsed records, the route's compiled domain (its field-name dictionary and detectors) and
 * the index of the important-data indicators that apply to the route.
 * Out: per record, the fields that carry a data item, with their raw values for identify/; the
 * important-data indicators seen, by field name or by keyword in a value.
 * Never: log or keep a value. Field-name lookups are memoized per domain and field path, so the
 * dictionary work is done once per record shape; value detectors still run on every string.
 */
import { XbError } from '../errors.js';
import { EMPTY_INDEX, type IndicatorIndex, type IndicatorRef } from '../policy/indicators.js';
import type { DataItem, Domain } from '../policy/types.js';
import { normalizeTerm } from '../policy/terms.js';
import type { Classified, ClassifiedRecord, IndicatorHit, PiField, Records } from '../types.js';
import { detect } from './detectors/index.js';

/** Deeper records are refused, not walked: a hostile body must not exhaust the stack. */
export const MAX_DEPTH = 64;

/** Field shape (path without indices) → data item, per compiled domain; dropped with the domain on reload. */
const memo = new WeakMap<Domain, Map<string, DataItem | null>>();
/** Field shape → the indicators its name carries, per route's indicator index. */
const indicatorMemo = new WeakMap<IndicatorIndex, Map<string, readonly IndicatorRef[] | null>>();

function memoOf<K extends object, V>(map: WeakMap<K, Map<string, V>>, key: K): Map<string, V> {
  let m = map.get(key);
  if (!m) map.set(key, (m = new Map()));
  return m;
}

/** Classify records against `domain`; look for the important-data indicators of `indicators`. */
export function classify(input: Records, domain: Domain, onDate: Date, indicators: IndicatorIndex = EMPTY_INDEX): Classified {
  const seen = new Set<string>();
  const records: ClassifiedRecord[] = [];
  const walker: Walker = {
    domain,
    names: memoOf(memo, domain),
    indicators,
    indicatorNames: memoOf(indicatorMemo, indicators),
    onDate,
    fields: [],
    hits: new Map(),
  };
  for (const record of input.records) {
    walker.fields = [];
    walk(walker, record, '', '', '', '', 0);
    for (const f of walker.fields) seen.add(f.dataItem);
    records.push({ fields: walker.fields });
  }
  return { records, dataItems: [...seen].sort(), indicators: [...walker.hits.values()] };
}

interface Walker {
  readonly domain: Domain;
  readonly names: Map<string, DataItem | null>;
  readonly indicators: IndicatorIndex;
  readonly indicatorNames: Map<string, readonly IndicatorRef[] | null>;
  readonly onDate: Date;
  fields: PiField[];
  /** `domain#indicator` → first hit. */
  readonly hits: Map<string, IndicatorHit>;
}

/**
 * `path` has indices (`buyers[1].name`) and locates the value; `shape` has none (`buyers.name`)
 * and keys the memo; `parent` is the object path the value sits in; `key` is its own name.
 */
function walk(w: Walker, value: unknown, path: string, shape: string, parent: string, key: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new XbError('XB_PARSE_TOO_DEEP', `record nests deeper than ${MAX_DEPTH} levels at ${path}`);
  if (typeof value === 'string') return leaf(w, value, path, shape, parent, key, true);
  if (typeof value === 'number') {
    // An age of 12 is PI in an age field; phone and ID numbers sent as JSON numbers are identifiers anywhere.
    if (Number.isFinite(value)) leaf(w, String(value), path, shape, parent, key, value >= 1e10);
    return;
  }
  // `importantData: true` names its data by the field alone.
  if (typeof value === 'boolean') return leaf(w, String(value), path, shape, parent, key, false);
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walk(w, value[i], `${path}[${i}]`, shape, parent, key, depth + 1);
    return;
  }
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    walk(w, v, path ? `${path}.${k}` : k, shape ? `${shape}.${k}` : k, path, k, depth + 1);
  }
}

function leaf(w: Walker, value: string, path: string, shape: string, parent: string, key: string, detectable: boolean): void {
  const item = lookup(w.names, w.domain.fieldNames, shape, parent, key);
  if (item) w.fields.push({ path, parent, dataItem: item.id, subject: item.subject, identifies: item.identifies, sensitive: item.sensitive, via: 'field-name', value });
  for (const ref of lookup(w.indicatorNames, w.indicators.fields, shape, parent, key) ?? []) hit(w, ref, 'field-name');
  if (w.indicators.pattern && detectable) findKeywords(w, w.indicators.pattern, value);
  // A labelled identifier field is keyed by identify/; any other string may still hide one.
  if (!detectable || item?.identifies === 'contact' || item?.identifies === 'resident-id') return;
  for (const hit of detect(value, w.onDate)) {
    const detected = w.domain.detectorItems.get(hit.detector);
    if (!detected) continue;
    w.fields.push({
      path,
      parent: path,
      dataItem: detected.id,
      subject: undefined,
      identifies: detected.identifies,
      sensitive: detected.sensitive,
      via: 'detector',
      value: hit.value,
    });
  }
}

function hit(w: Walker, ref: IndicatorRef, via: IndicatorHit['via']): void {
  const id = `${ref.domain}#${ref.indicator}`;
  if (!w.hits.has(id)) w.hits.set(id, { domain: ref.domain, indicator: ref.indicator, via });
}

function findKeywords(w: Walker, pattern: RegExp, value: string): void {
  const text = value.normalize('NFKC').toLowerCase();
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    for (const ref of w.indicators.keywords.get(m[0]) ?? []) hit(w, ref, 'keyword');
    // Keywords may overlap (ab, bc in abc): resume one character on, not after the match.
    pattern.lastIndex = m.index + 1;
  }
}

/** Most specific name first: `shipper.name` as one term, then `name`, then the whole shape. Memoized per shape. */
function lookup<V>(memo: Map<string, V | null>, dictionary: ReadonlyMap<string, V>, shape: string, parent: string, key: string): V | undefined {
  let found = memo.get(shape);
  if (found !== undefined) return found ?? undefined;
  const parentKey = lastKey(parent);
  found =
    (parentKey ? dictionary.get(normalizeTerm(parentKey + key)) : undefined) ??
    dictionary.get(normalizeTerm(key)) ??
    dictionary.get(normalizeTerm(shape)) ??
    null;
  memo.set(shape, found);
  return found ?? undefined;
}

function lastKey(parent: string): string {
  const dot = parent.lastIndexOf('.');
  return parent.slice(dot + 1).replace(/\[\d+\]$/, '');
}
