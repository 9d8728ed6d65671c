/**
 * classify: Records → Classified.
 * In: parsed records, the route's compiled domain (its field-name dictionary and detectors) and
 * the index of the important-data indicators that apply to the route.
 * Out: per record, the fields that carry a data item, with their raw values for identify/; the
 * important-data indicators seen, by field name or by keyword in a value; low-confidence detector
 * findings (detector, path, reason — never a value, never counted).
 * Never: log or keep a value. Field-name lookups are memoized per domain and field path (a shape
 * tree the walk descends by field name), so the dictionary work is done once per record shape;
 * value detectors and the keyword search still look at every string, behind exact prefilters
 * (keywords.ts, detectors/index.ts) that skip the regexes a value cannot match.
 * Two detections need the object around a value, so they are settled when the object is done: a
 * coordinate pair in sibling fields (`gpsLat`/`gpsLng`), and an individual business's credit code,
 * which is a person's only beside the operator's name (regs/national-rules.md, "Identifiers").
 */
import { XbError } from '../errors.js';
import { EMPTY_INDEX, type IndicatorIndex, type IndicatorRef } from '../policy/indicators.js';
import type { DataItem, Domain } from '../policy/types.js';
import { normalizeTerm } from '../policy/terms.js';
import type { Detector } from '../policy/schema.js';
import type { Classified, ClassifiedRecord, Finding, FindingReason, IndicatorHit, PiField, Records } from '../types.js';
import { matchesFingerprint, type FingerprintIndex } from './fingerprints.js';
import { SCREENED_CANDIDATE, SCREENED_NONE, SCREENED_UNSCREENED, keywordScreen, screenValue, type KeywordScreen } from './keywords.js';
import { NFKC_SENSITIVE } from './fold.js';
import { CHINA, DEFAULT_PRECISION, coordinateAxis, judgePair, readCoordinate, type Polygon } from './detectors/coordinates.js';
import { detect, type Detection, type DetectOptions } from './detectors/index.js';

/** Deeper records are refused, not walked: a hostile body must not exhaust the stack. */
export const MAX_DEPTH = 64;

/** Field shape (path without indices) → data item, per compiled domain; dropped with the domain on reload. */
const memo = new WeakMap<Domain, Map<string, DataItem | null>>();
/** Field shape → the indicators its name carries, per route's indicator index. */
const indicatorMemo = new WeakMap<IndicatorIndex, Map<string, readonly IndicatorRef[] | null>>();
/** Field name → the coordinate half it names, per compiled domain (names repeat across records). */
const axisMemo = new WeakMap<Domain, Map<string, Axis | null>>();
/** The shape tree of a domain and an indicator index (see ShapeNode). */
const shapeRoots = new WeakMap<Domain, WeakMap<IndicatorIndex, ShapeRoot>>();

/**
 * A field shape with what its name decides, cached so the walk descends by field name (object keys
 * from JSON.parse are interned strings: one cheap Map lookup) instead of building and hashing the
 * shape string for every value of every record. What a node holds comes from the same shape memos
 * as before (lookup, axisOf), so the decisions are the ones the shape string gave.
 */
interface ShapeNode {
  readonly shape: string;
  readonly item: DataItem | undefined;
  readonly refs: readonly IndicatorRef[] | undefined;
  readonly axis: Axis | undefined;
  children: Map<string, ShapeNode> | undefined;
  /** The classify call (Walker.epoch) that last added `item` to its data items: once per call, no hashing. */
  seenIn?: number;
}

/** A tree's root counts the nodes kept under it. */
interface ShapeRoot extends ShapeNode {
  size: number;
}

/** Numbers classify calls, for ShapeNode.seenIn. */
let epochs = 0;

/** Nodes cached per tree; past this a hostile body's fresh names get nodes that are not kept. */
const MAX_SHAPE_NODES = 20_000;

type Axis = NonNullable<ReturnType<typeof coordinateAxis>>;

export interface ClassifyOptions {
  /** Decimal places both coordinates need to be a precise location (default 4, ~11 m). */
  readonly coordinatePrecision?: number;
  /** Where coordinates count (default: the coarse mainland outline, detectors/china-polygon.json). */
  readonly polygon?: Polygon;
}

function memoOf<K extends object, V>(map: WeakMap<K, Map<string, V>>, key: K): Map<string, V> {
  let m = map.get(key);
  if (!m) map.set(key, (m = new Map()));
  return m;
}

/** The indicator index of a route, with the registered fingerprints when there are any (policy/snapshot.ts). */
export type RouteIndicators = IndicatorIndex & { readonly fingerprints?: FingerprintIndex | undefined };

/** Where a registered value is reported: the national rules' indicator (cn-national.yaml). */
export const FINGERPRINT_HIT: IndicatorRef = { domain: 'cn-national/national', indicator: 'registered-important-data' };

/** Classify records against `domain`; look for the important-data indicators of `indicators`. */
export function classify(input: Records, domain: Domain, onDate: Date, indicators: RouteIndicators = EMPTY_INDEX, options: ClassifyOptions = {}): Classified {
  const seen = new Set<string>();
  const records: ClassifiedRecord[] = [];
  const precision = options.coordinatePrecision ?? DEFAULT_PRECISION;
  const polygon = options.polygon ?? CHINA;
  const walker: Walker = {
    domain,
    names: memoOf(memo, domain),
    indicators,
    fingerprints: indicators.fingerprints,
    indicatorNames: memoOf(indicatorMemo, indicators),
    axes: memoOf(axisMemo, domain),
    onDate,
    precision,
    polygon,
    detectOptions: { precision, polygon, only: domain.detectorItems },
    screen: indicators.pattern ? keywordScreen(indicators) : undefined,
    root: shapeRoot(domain, indicators),
    fields: [],
    seen,
    epoch: ++epochs,
    hits: new Map(),
    findings: new Map(),
  };
  const location = domain.detectorItems.get('coordinates')?.id;
  let preciseLocations = 0;
  for (const record of input.records) {
    walker.fields = [];
    walk(walker, record, '', walker.root, '', '', 0, undefined);
    // One location per object: a lat field and its lng sibling are one point, not two.
    if (location !== undefined) {
      let points: Set<string> | undefined;
      for (const f of walker.fields) if (f.dataItem === location) (points ??= new Set()).add(f.parent);
      preciseLocations += points?.size ?? 0;
    }
    records.push({ fields: walker.fields });
  }
  for (const h of volumeHits(indicators, preciseLocations)) hit(walker, h, 'volume');
  return { records, dataItems: [...seen].sort(byCodeUnits), indicators: [...walker.hits.values()], findings: [...walker.findings.values()], preciseLocations };
}

/** The default sort's order for strings (UTF-16 code units), without its generic ToString path. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Volume indicators reached by `preciseLocations` precise locations in one transfer. */
export function volumeHits(indicators: IndicatorIndex, preciseLocations: number): IndicatorRef[] {
  return indicators.volumes.filter((v) => preciseLocations >= v.minPreciseLocations).map((v) => v.ref);
}

interface Walker {
  readonly domain: Domain;
  readonly names: Map<string, DataItem | null>;
  readonly indicators: IndicatorIndex;
  readonly fingerprints: FingerprintIndex | undefined;
  readonly indicatorNames: Map<string, readonly IndicatorRef[] | null>;
  readonly axes: Map<string, Axis | null>;
  readonly onDate: Date;
  readonly precision: number;
  readonly polygon: Polygon;
  readonly detectOptions: DetectOptions;
  readonly screen: KeywordScreen | undefined;
  readonly root: ShapeRoot;
  fields: PiField[];
  /** The data items found so far (leaf and the settling functions add to it as they push fields). */
  readonly seen: Set<string>;
  readonly epoch: number;
  /** `domain#indicator` → first hit. */
  readonly hits: Map<string, IndicatorHit>;
  /** `detector, shape, reason` → the finding, its occurrences counted. */
  readonly findings: Map<string, { -readonly [K in keyof Finding]: Finding[K] }>;
}

/** What an object's own leaves leave to be settled once the whole object has been walked. */
interface ObjectScope {
  readonly path: string;
  /** Index into Walker.fields where this object's fields start (nested objects' follow theirs). */
  readonly start: number;
  coordinates?: { axis: Axis; path: string; shape: string; raw: unknown }[];
  individualBusinesses?: { path: string; shape: string; value: string; item: DataItem }[];
}

function shapeRoot(domain: Domain, indicators: IndicatorIndex): ShapeRoot {
  let byIndex = shapeRoots.get(domain);
  if (!byIndex) shapeRoots.set(domain, (byIndex = new WeakMap()));
  let root = byIndex.get(indicators);
  if (!root) byIndex.set(indicators, (root = { shape: '', item: undefined, refs: undefined, axis: undefined, children: undefined, size: 0 }));
  return root;
}

/** The node of `key` under `node` (in the object at `path`), made on first sight. */
function childOf(w: Walker, node: ShapeNode, path: string, key: string): ShapeNode {
  const known = node.children?.get(key);
  if (known) return known;
  const shape = node.shape ? `${node.shape}.${key}` : key;
  const child: ShapeNode = {
    shape,
    item: lookup(w.names, w.domain.fieldNames, shape, path, key),
    refs: lookup(w.indicatorNames, w.indicators.fields, shape, path, key),
    axis: axisOf(w, key),
    children: undefined,
  };
  if (w.root.size < MAX_SHAPE_NODES) {
    w.root.size++;
    (node.children ??= new Map()).set(key, child);
  }
  return child;
}

/**
 * `path` has indices (`buyers[1].name`) and locates the value; `node` is its shape (`buyers.name`,
 * no indices), with what the name decides; `parent` is the object path the value sits in; `key`
 * is its own name.
 */
function walk(w: Walker, value: unknown, path: string, node: ShapeNode, parent: string, key: string, depth: number, scope: ObjectScope | undefined): void {
  if (depth > MAX_DEPTH) throw new XbError('XB_PARSE_TOO_DEEP', `record nests deeper than ${MAX_DEPTH} levels at ${path}`);
  if (typeof value === 'string') return leaf(w, value, path, node, parent, key, true, scope);
  if (typeof value === 'number') {
    // An age of 12 is PI in an age field; phone and ID numbers sent as JSON numbers are identifiers anywhere.
    if (Number.isFinite(value)) leaf(w, String(value), path, node, parent, key, value >= 1e10, scope);
    return;
  }
  // `importantData: true` names its data by the field alone.
  if (typeof value === 'boolean') return leaf(w, String(value), path, node, parent, key, false, scope);
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    // An array's leaves belong to the object holding the array.
    for (let i = 0; i < value.length; i++) walk(w, value[i], `${path}[${i}]`, node, parent, key, depth + 1, scope);
    return;
  }
  const own: ObjectScope = { path, start: w.fields.length };
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    const childPath = path ? `${path}.${k}` : k;
    const child = childOf(w, node, path, k);
    if (child.axis && (typeof v === 'number' || typeof v === 'string')) (own.coordinates ??= []).push({ axis: child.axis, path: childPath, shape: child.shape, raw: v });
    walk(w, v, childPath, child, path, k, depth + 1, own);
  }
  if (own.coordinates) pairCoordinates(w, own);
  if (own.individualBusinesses) settleIndividualBusinesses(w, own);
}

/** Identifier kinds a field's own name already keys: a detector finding the same kind there adds nothing. */
const KEYED_BY_NAME = new Set(['passport', 'account']);

function leaf(w: Walker, value: string, path: string, node: ShapeNode, parent: string, key: string, detectable: boolean, scope: ObjectScope | undefined): void {
  const { item, shape } = node;
  if (item) {
    w.fields.push({ path, parent, dataItem: item.id, subject: item.subject, identifies: item.identifies, sensitive: item.sensitive, via: 'field-name', value });
    if (node.seenIn !== w.epoch) {
      node.seenIn = w.epoch;
      w.seen.add(item.id);
    }
  }
  if (node.refs) for (const ref of node.refs) hit(w, ref, 'field-name');
  if (w.indicators.pattern && detectable) findKeywords(w, w.indicators.pattern, value);
  // A registered value counts in any field, as a string or a number; one hit per transfer is enough.
  if (w.fingerprints && !w.hits.has(FINGERPRINT_ID) && matchesFingerprint(w.fingerprints, value)) hit(w, FINGERPRINT_HIT, 'fingerprint');
  // A labelled identifier field is keyed by identify/; any other string may still hide one.
  if (!detectable || item?.identifies === 'contact' || item?.identifies === 'resident-id') return;
  const detections = detect(value, w.onDate, w.detectOptions, key);
  for (let i = 0; i < detections.length; i++) {
    const found = detections[i] as Detection;
    const detected = w.domain.detectorItems.get(found.detector);
    if (!detected) continue;
    // One field, one reading: `passportNo` is already the passport, `coordinates` already the location.
    if (item && (detected.id === item.id || (item.identifies && item.identifies === detected.identifies && KEYED_BY_NAME.has(item.identifies)))) continue;
    if (found.detector === 'uscc-92' && scope) {
      (scope.individualBusinesses ??= []).push({ path, shape, value: found.value, item: detected });
      continue;
    }
    if (found.reason) {
      finding(w, found.detector, detected, path, shape, found.reason);
      continue;
    }
    w.seen.add(detected.id);
    w.fields.push({
      path,
      parent: path,
      dataItem: detected.id,
      subject: undefined,
      identifies: detected.identifies,
      sensitive: detected.sensitive,
      via: 'detector',
      value: found.value,
    });
  }
}

function finding(w: Walker, detector: Detector, item: DataItem, path: string, shape: string, reason: FindingReason): void {
  const id = `${detector}\0${shape}\0${reason}`;
  const seen = w.findings.get(id);
  if (seen) seen.occurrences++;
  else w.findings.set(id, { detector, dataItem: item.id, path, confidence: 'low', reason, occurrences: 1 });
}

function axisOf(w: Walker, key: string): Axis | undefined {
  // Most names end in none of the words' last letters (t, g, n, e, u, 度): skip them without a lookup.
  const last = key.charCodeAt(key.length - 1) | 0x20;
  if (last !== 0x74 && last !== 0x67 && last !== 0x6e && last !== 0x65 && last !== 0x75 && key[key.length - 1] !== '度') return undefined;
  let axis = w.axes.get(key);
  if (axis === undefined) w.axes.set(key, (axis = coordinateAxis(key) ?? null));
  return axis ?? undefined;
}

/**
 * Sibling fields naming the two halves of one point (`lat`/`lng`, `gpsLat`/`gpsLng`, `收货纬度`/
 * `收货经度`): precise and inside the polygon, they are a precise location of the object's person;
 * precise and outside, a finding (the polygon is coarse); imprecise, nothing.
 */
function pairCoordinates(w: Walker, scope: ObjectScope): void {
  const item = w.domain.detectorItems.get('coordinates');
  if (!item || !scope.coordinates) return;
  const own = ownFields(w, scope);
  // Fields the dictionary already names as the location (`lat`, `longitude`) are counted by name.
  const named = new Set(own.filter((f) => f.dataItem === item.id).map((f) => f.path));
  const lons = new Map<string, (typeof scope.coordinates)[number]>();
  for (const c of scope.coordinates) if (c.axis.axis === 'lon' && !lons.has(c.axis.prefix)) lons.set(c.axis.prefix, c);
  for (const lat of scope.coordinates) {
    if (lat.axis.axis !== 'lat') continue;
    const lon = lons.get(lat.axis.prefix);
    const a = readCoordinate(lat.raw);
    const b = lon && readCoordinate(lon.raw);
    if (!lon || !a || !b || named.has(lat.path) || named.has(lon.path)) continue;
    const verdict = judgePair(a, b, w.precision, w.polygon);
    if (verdict === 'outside') finding(w, 'coordinates', item, lat.path, lat.shape, 'outside-polygon');
    if (verdict !== 'precise-inside') continue;
    w.seen.add(item.id);
    w.fields.push({
      path: lat.path,
      parent: scope.path,
      dataItem: item.id,
      subject: subjectOf(own, lat.axis.prefix),
      identifies: item.identifies,
      sensitive: item.sensitive,
      via: 'field-name',
      value: `${a.text},${b.text}`,
    });
  }
}

/** Type-92 codes (个体工商户) are one natural person's: PI beside the operator's name, a finding otherwise. */
function settleIndividualBusinesses(w: Walker, scope: ObjectScope): void {
  const names = ownFields(w, scope).filter((f) => f.identifies === 'name');
  const subject = subjectOf(names, '');
  for (const u of scope.individualBusinesses ?? []) {
    if (names.length === 0) {
      finding(w, 'uscc-92', u.item, u.path, u.shape, 'no-operator-name');
      continue;
    }
    w.seen.add(u.item.id);
    w.fields.push({ path: u.path, parent: scope.path, dataItem: u.item.id, subject, identifies: u.item.identifies, sensitive: u.item.sensitive, via: 'field-name', value: u.value });
  }
}

/** The fields this object's own names gave (not its nested objects', not detector hits). */
function ownFields(w: Walker, scope: ObjectScope): PiField[] {
  const out: PiField[] = [];
  for (let i = scope.start; i < w.fields.length; i++) {
    const f = w.fields[i] as PiField;
    if (f.parent === scope.path && f.via === 'field-name') out.push(f);
  }
  return out;
}

/**
 * The role a confirmed value joins: the one role among `fields`, or the role its name prefix
 * spells (`shipperLat` → shipper), else the object's unnamed person.
 */
function subjectOf(fields: readonly PiField[], prefix: string): string | undefined {
  const roles = new Set(fields.map((f) => f.subject));
  if (roles.size === 1) return [...roles][0];
  if (prefix) for (const r of roles) if (r && prefix.startsWith(r)) return r;
  return undefined;
}

/** `domain#indicator`: one hit per indicator per transfer. */
export const indicatorId = (ref: IndicatorRef): string => `${ref.domain}#${ref.indicator}`;

const FINGERPRINT_ID = indicatorId(FINGERPRINT_HIT);

function hit(w: Walker, ref: IndicatorRef, via: IndicatorHit['via']): void {
  const id = indicatorId(ref);
  if (!w.hits.has(id)) w.hits.set(id, { domain: ref.domain, indicator: ref.indicator, via });
}

const UPPER = /[A-Z]/;

function findKeywords(w: Walker, pattern: RegExp, value: string): void {
  // Most values hold no keyword's first two characters: one pass tells, and no regex runs (keywords.ts).
  const screened = w.screen ? screenValue(w.screen, value) : SCREENED_CANDIDATE;
  if (screened === SCREENED_NONE) return;
  let text: string;
  if (screened === SCREENED_UNSCREENED) {
    // Full-width punctuation (，：) and the like: screen the text the regex would see.
    text = value.normalize('NFKC').toLowerCase();
    if (w.screen && screenValue(w.screen, text, true) === SCREENED_NONE) return;
  } else {
    // Keywords are stored NFKC-normalized and lower-case; most values need neither step.
    text = NFKC_SENSITIVE.test(value) ? value.normalize('NFKC').toLowerCase() : UPPER.test(value) ? value.toLowerCase() : value;
  }
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
