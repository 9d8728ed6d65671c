/**
 * classify: Records → Classified.
 * In: parsed records and the route's compiled domain (its field-name dictionary and detectors).
 * Out: per record, the fields that carry a data item, with their raw values for identify/.
 * Never: log or keep a value. Field-name lookups are memoized per domain and field path, so the
 * dictionary work is done once per record shape; value detectors still run on every string.
 */
import { XbError } from '../errors.js';
import type { DataItem, Domain } from '../policy/types.js';
import { normalizeTerm } from '../policy/terms.js';
import type { Classified, ClassifiedRecord, PiField, Records } from '../types.js';
import { detect } from './detectors/index.js';

/** Deeper records are refused, not walked: a hostile body must not exhaust the stack. */
export const MAX_DEPTH = 64;

/** Field shape (path without indices) → data item, per compiled domain; dropped with the domain on reload. */
const memo = new WeakMap<Domain, Map<string, DataItem | null>>();

export function classify(input: Records, domain: Domain, onDate: Date): Classified {
  let names = memo.get(domain);
  if (!names) memo.set(domain, (names = new Map()));
  const seen = new Set<string>();
  const records: ClassifiedRecord[] = [];
  const walker: Walker = { domain, names, onDate, fields: [] };
  for (const record of input.records) {
    walker.fields = [];
    walk(walker, record, '', '', '', '', 0);
    for (const f of walker.fields) seen.add(f.dataItem);
    records.push({ fields: walker.fields });
  }
  return { records, dataItems: [...seen].sort() };
}

interface Walker {
  readonly domain: Domain;
  readonly names: Map<string, DataItem | null>;
  readonly onDate: Date;
  fields: PiField[];
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
  const item = lookup(w, shape, parent, key);
  if (item) w.fields.push({ path, parent, dataItem: item.id, subject: item.subject, identifies: item.identifies, via: 'field-name', value });
  // A labelled identifier field is keyed by identify/; any other string may still hide one.
  if (!detectable || item?.identifies === 'contact' || item?.identifies === 'resident-id') return;
  for (const hit of detect(value, w.onDate)) {
    const detected = w.domain.detectorItems.get(hit.detector);
    if (!detected) continue;
    w.fields.push({ path, parent: path, dataItem: detected.id, subject: undefined, identifies: detected.identifies, via: 'detector', value: hit.value });
  }
}

/** Most specific name first: `shipper.name` as one term, then `name`, then the whole shape. */
function lookup(w: Walker, shape: string, parent: string, key: string): DataItem | undefined {
  let hit = w.names.get(shape);
  if (hit !== undefined) return hit ?? undefined;
  const parentKey = lastKey(parent);
  hit =
    (parentKey ? w.domain.fieldNames.get(normalizeTerm(parentKey + key)) : undefined) ??
    w.domain.fieldNames.get(normalizeTerm(key)) ??
    w.domain.fieldNames.get(normalizeTerm(shape)) ??
    null;
  w.names.set(shape, hit);
  return hit ?? undefined;
}

function lastKey(parent: string): string {
  const dot = parent.lastIndexOf('.');
  return parent.slice(dot + 1).replace(/\[\d+\]$/, '');
}
