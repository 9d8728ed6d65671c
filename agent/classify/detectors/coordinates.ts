/**
 * Precise coordinates inside China. A location is precise when both numbers carry at least
 * `precision` decimal places (default 4: 10⁻⁴° is about 11 m of latitude; 3 places, ~110 m, is a
 * neighbourhood). Inside China means inside a coarse polygon of the mainland (china-polygon.json,
 * ~64 vertices): at that scale WGS-84, GCJ-02 and BD-09 differ by nothing (their offsets are a
 * few hundred metres), so one polygon serves all three. It is replaceable (polygonFrom).
 *
 * In a string: two decimal numbers side by side, separated by a comma (half- or full-width) and/or
 * up to three spaces — `22.817, 108.366` (lat, lon) or `108.366,22.817` (lon, lat, the GCJ-02 map
 * APIs' order). Mainland latitudes (18–54) and longitudes (73–135) never overlap, so the pair is
 * tried both ways. Outside the polygon a pair of numbers is just numbers: no hit, no finding.
 * In sibling fields (classify/index.ts): coordinateAxis names the two halves by their field names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../package-root.js';
import { eachMatch } from './context.js';

export const DEFAULT_PRECISION = 4;

/** A closed ring of [longitude, latitude] vertices, with its bounding box for a quick reject. */
export interface Polygon {
  readonly vertices: readonly (readonly [number, number])[];
  readonly box: { readonly west: number; readonly east: number; readonly south: number; readonly north: number };
}

/** A polygon from parsed JSON (`{ "vertices": [[lon, lat], …] }`); throws on anything else. */
export function polygonFrom(json: unknown): Polygon {
  const raw = (json as { vertices?: unknown } | null)?.vertices;
  if (!Array.isArray(raw) || raw.length < 3) throw new Error('a polygon needs a `vertices` array of at least 3 [longitude, latitude] pairs');
  const vertices = raw.map((v, i) => {
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'number' || typeof v[1] !== 'number' || Math.abs(v[0]) > 180 || Math.abs(v[1]) > 90)
      throw new Error(`vertex ${i} is not a [longitude, latitude] pair in degrees`);
    return [v[0], v[1]] as const;
  });
  const lons = vertices.map((v) => v[0]);
  const lats = vertices.map((v) => v[1]);
  return { vertices, box: { west: Math.min(...lons), east: Math.max(...lons), south: Math.min(...lats), north: Math.max(...lats) } };
}

/** The shipped coarse outline of mainland China. */
export const CHINA: Polygon = polygonFrom(
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'agent', 'classify', 'detectors', 'china-polygon.json'), 'utf8')) as unknown,
);

/** Even-odd ray casting: true if the point lies inside the ring. */
export function inside(polygon: Polygon, lon: number, lat: number): boolean {
  const { box, vertices } = polygon;
  if (lon < box.west || lon > box.east || lat < box.south || lat > box.north) return false;
  let odd = false;
  for (let i = 0, j = vertices.length - 1; i < vertices.length; j = i++) {
    const [xi, yi] = vertices[i] as readonly [number, number];
    const [xj, yj] = vertices[j] as readonly [number, number];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

/** A decimal number as written: its value and how many decimal places it carries. */
export interface Coordinate {
  readonly text: string;
  readonly value: number;
  readonly decimals: number;
}

const NUMBER = /^\s*([+-]?\d{1,3}(?:\.(\d{1,17}))?)\s*$/;

/** A coordinate field's value (a JSON number or a numeric string), or undefined. */
export function readCoordinate(raw: unknown): Coordinate | undefined {
  const text = typeof raw === 'number' ? (Number.isFinite(raw) ? String(raw) : '') : typeof raw === 'string' && raw.length <= 24 ? raw : '';
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  return { text: m[1] as string, value: Number(m[1]), decimals: m[2]?.length ?? 0 };
}

/** Whether a latitude and longitude are both precise to `precision` places and, if so, inside `polygon`. */
export function judgePair(lat: Coordinate, lon: Coordinate, precision: number, polygon: Polygon): 'precise-inside' | 'outside' | 'imprecise' {
  if (Math.abs(lat.value) > 90 || Math.abs(lon.value) > 180 || Math.min(lat.decimals, lon.decimals) < precision) return 'imprecise';
  return inside(polygon, lon.value, lat.value) ? 'precise-inside' : 'outside';
}

// Bounded quantifiers everywhere: a long run of digits or spaces costs a bounded amount per start.
const PAIR = /(?<![0-9A-Za-z.])([+-]?\d{1,3}\.\d{1,17})(?:\s{0,3}[,，]\s{0,3}|\s{1,3})([+-]?\d{1,3}\.\d{1,17})(?![0-9]|\.\d)/g;

/** Every precise pair inside `polygon` in `text`, as `lat,lon`. */
export function findCoordinates(text: string, precision: number = DEFAULT_PRECISION, polygon: Polygon = CHINA): string[] {
  const out: string[] = [];
  eachMatch(PAIR, text, (m) => {
    const a = readCoordinate(m[1]) as Coordinate;
    const b = readCoordinate(m[2]) as Coordinate;
    if (judgePair(a, b, precision, polygon) === 'precise-inside') out.push(`${a.text},${b.text}`);
    else if (judgePair(b, a, precision, polygon) === 'precise-inside') out.push(`${b.text},${a.text}`);
  });
  return out;
}

const LAT_WORDS = ['latitude', 'lat', 'weidu', '纬度'];
const LON_WORDS = ['longitude', 'lng', 'lon', 'long', 'jingdu', '经度'];

/**
 * Which half of a coordinate pair a field name holds, and the prefix that pairs it with its
 * sibling (`gpsLat` ↔ `gpsLng`: prefix `gps`). The word must start the name or a word of it
 * (`pickup_lat`, `pickupLat`, `收货纬度`), so `float` and `salon` are no coordinates.
 */
export function coordinateAxis(key: string): { axis: 'lat' | 'lon'; prefix: string } | undefined {
  if (key.length > 64) return undefined;
  const lower = key.toLowerCase();
  for (const [axis, words] of [['lat', LAT_WORDS], ['lon', LON_WORDS]] as const) {
    for (const w of words) {
      if (!lower.endsWith(w)) continue;
      const at = key.length - w.length;
      if (at > 0 && !wordStart(key, at)) continue;
      return { axis, prefix: key.slice(0, at).normalize('NFKC').toLowerCase().replace(/[\s_.\-]/g, '') };
    }
  }
  return undefined;
}

function wordStart(key: string, at: number): boolean {
  const prev = key.charCodeAt(at - 1);
  const first = key.charCodeAt(at);
  const letter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  if (!letter(first) || !letter(prev)) return true; // 纬度, pickup_lat, gps2lat
  return first <= 90 && prev >= 97; // camelCase: gpsLat
}
