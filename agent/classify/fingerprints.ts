/**
 * Exact-data-match fingerprints (issue 4): values the company registers as important data
 * (`xborder fingerprints add FILE`) are normalized and keyed with the identity key; only the keys
 * are stored. On the hot path a value whose normalized length lies within the registered lengths
 * is keyed the same way, tested against a compact bit-array filter and, on a filter hit, confirmed
 * by an exact lookup: a filter false positive never fires.
 * Never: keep or log a value; hash a value whose length cannot match (most values skip the HMAC).
 * Why a filter of our own and not bloom-filters: docs/decisions/0006-fingerprint-filter.md.
 */
import { personKey } from '../identify/key.js';
import { NFKC_SENSITIVE } from './fold.js';

/** HMAC basis of a fingerprint key, apart from every person key's basis. */
export const FINGERPRINT_BASIS = 'fingerprint';

/** Bits per registered key (default 10, with 7 probes: a false-positive rate of about 0.8%). */
export const BITS_PER_KEY = 10;
export const PROBES = 7;

/** The form a value is registered and matched in: NFKC, trimmed, runs of whitespace as one space. */
export function normalizeFingerprintValue(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ');
}

/** The stored key of a normalized value: HMAC-SHA256 under the identity key, first 16 bytes. */
export function fingerprintKey(identityKey: Buffer, normalized: string): Buffer {
  return personKey(identityKey, FINGERPRINT_BASIS, normalized);
}

/**
 * A Bloom filter over 16-byte HMAC keys. The keys are already uniform, so the probe positions are
 * read from the key itself (double hashing, h1 + i·h2, Kirsch–Mitzenmacher): no second hash.
 */
export class KeyFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  /** A filter sized for `expected` keys at `bitsPerKey` bits each (rounded up to a power of two, ≥ 64 bits). */
  constructor(expected: number, readonly probes = PROBES, bitsPerKey = BITS_PER_KEY) {
    let m = 64;
    while (m < expected * bitsPerKey && m < 2 ** 31) m *= 2;
    this.bits = new Uint32Array(m / 32);
    this.mask = m - 1;
  }

  get sizeBits(): number {
    return this.mask + 1;
  }

  add(key: Buffer): void {
    const h1 = key.readUInt32LE(0);
    const h2 = key.readUInt32LE(4) | 1;
    for (let i = 0; i < this.probes; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31));
    }
  }

  has(key: Buffer): boolean {
    const h1 = key.readUInt32LE(0);
    const h2 = key.readUInt32LE(4) | 1;
    for (let i = 0; i < this.probes; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if (((this.bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** One registered fingerprint as the store keeps it: the key, and the normalized value's length. */
export interface StoredFingerprint {
  readonly key: Buffer;
  readonly length: number;
}

/** What classify/ needs to match values: built at start and on reload, swapped with the snapshot. */
export interface FingerprintIndex {
  readonly size: number;
  /** Shortest and longest normalized registered value (UTF-16 code units). */
  readonly minLength: number;
  readonly maxLength: number;
  readonly filter: KeyFilter;
  /** Key a normalized value (closes over the identity key, which classify/ never sees). */
  readonly keyOf: (normalized: string) => Buffer;
  /** The exact answer for a key the filter let through. */
  readonly confirm: (key: Buffer) => boolean;
}

/**
 * Index the stored fingerprints. `confirm` is the exact lookup (the store's fingerprints db);
 * without one, an in-memory set of the keys is used. Returns undefined when none are registered.
 */
export function buildFingerprintIndex(
  identityKey: Buffer,
  stored: readonly StoredFingerprint[],
  confirm?: (key: Buffer) => boolean,
): FingerprintIndex | undefined {
  if (stored.length === 0) return undefined;
  const filter = new KeyFilter(stored.length);
  let minLength = Infinity;
  let maxLength = 0;
  for (const s of stored) {
    filter.add(s.key);
    if (s.length < minLength) minLength = s.length;
    if (s.length > maxLength) maxLength = s.length;
  }
  let exact = confirm;
  if (!exact) {
    const set = new Set(stored.map((s) => s.key.toString('base64')));
    exact = (key) => set.has(key.toString('base64'));
  }
  return { size: stored.length, minLength, maxLength, filter, keyOf: (n) => fingerprintKey(identityKey, n), confirm: exact };
}

const SPACE = /\s/;

/** Is `value`, normalized, a registered fingerprint? */
export function matchesFingerprint(index: FingerprintIndex, value: string): boolean {
  // For ASCII and CJK text NFKC is the identity and only whitespace can shorten the value: a value
  // too short, or too long with no whitespace to collapse, cannot match and skips the HMAC.
  const plain = !NFKC_SENSITIVE.test(value);
  if (plain && (value.length < index.minLength || (value.length > index.maxLength && !SPACE.test(value)))) return false;
  const normalized = plain && !SPACE.test(value) ? value : normalizeFingerprintValue(value);
  if (normalized.length < index.minLength || normalized.length > index.maxLength) return false;
  const key = index.keyOf(normalized);
  return index.filter.has(key) && index.confirm(key);
}
