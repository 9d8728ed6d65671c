/**
 * count/hll.ts: registers read from the key's own bits, the packed update format the Redis script
 * merges, and the estimate's accuracy and bounds on deterministic pseudo-random keys (AES-CTR
 * keystream, so a failure reproduces).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  addToRegisters,
  emptyRegisters,
  estimate,
  HLL_REGISTERS,
  HLL_STANDARD_ERROR,
  HLL_Z,
  lowerBound,
  mergeRegisters,
  packedUpdates,
  registerOf,
  upperBound,
} from '../../../agent/count/hll.js';

/** n uniform 16-byte keys, a pure function of `seed` (stands in for HMAC output). */
function keys(seed: string, n: number): Buffer[] {
  const k = createHash('sha256').update(seed).digest().subarray(0, 16);
  const pool = createCipheriv('aes-128-ctr', k, Buffer.alloc(16)).update(Buffer.alloc(n * 16));
  const out = new Array<Buffer>(n);
  for (let i = 0; i < n; i++) out[i] = pool.subarray(i * 16, i * 16 + 16);
  return out;
}

/** A key whose first 8 bytes are `hi`, `lo` (big-endian) and whose tail is `tail` repeated. */
function key(hi: number, lo: number, tail = 0): Buffer {
  const b = Buffer.alloc(16, tail);
  b.writeUInt32BE(hi >>> 0, 0);
  b.writeUInt32BE(lo >>> 0, 4);
  return b;
}

function estimateOf(seed: string, n: number): number {
  const r = emptyRegisters();
  addToRegisters(r, keys(seed, n));
  return estimate(r);
}

describe('registerOf', () => {
  it.each([
    { why: 'index is the top 14 bits', hi: 0xabcd_ffff, lo: 0, index: 0xabcd >>> 2, rank: 2 },
    { why: 'largest index', hi: 0xfffc_0000, lo: 1, index: 0x3fff, rank: 50 },
    { why: 'first tail bit set → rank 1', hi: 0x0002_0000, lo: 0, index: 0, rank: 1 },
    { why: 'second tail bit set → rank 2', hi: 0x0001_0000, lo: 0, index: 0, rank: 2 },
    { why: 'last bit of the first word → rank 18', hi: 0x0000_0001, lo: 0, index: 0, rank: 18 },
    { why: 'first bit of the second word → rank 19', hi: 0, lo: 0x8000_0000, index: 0, rank: 19 },
    { why: 'last bit of the first 8 bytes → rank 50', hi: 0x0004_0000, lo: 1, index: 1, rank: 50 },
    { why: 'all-zero tail → 51', hi: 0xfffc_0000, lo: 0, index: 0x3fff, rank: 51 },
    { why: 'all-zero key → 51', hi: 0, lo: 0, index: 0, rank: 51 },
  ])('$why', ({ hi, lo, index, rank }) => {
    expect(registerOf(key(hi, lo))).toEqual({ index, rank });
  });

  it('reads only the first 8 bytes, unhashed', () => {
    // Hashing the key again would move these apart.
    expect(registerOf(key(0x1234_5678, 0x9abc_def0, 0x00))).toEqual(registerOf(key(0x1234_5678, 0x9abc_def0, 0xff)));
  });

  it('refuses a key that is not 16 bytes', () => {
    expect(() => registerOf(Buffer.alloc(8))).toThrow(RangeError);
    expect(() => addToRegisters(emptyRegisters(), [Buffer.alloc(32)])).toThrow(RangeError);
  });
});

describe('addToRegisters', () => {
  it('max-merges and says whether anything changed', () => {
    const r = emptyRegisters();
    expect(r.length).toBe(HLL_REGISTERS);
    expect(addToRegisters(r, [])).toBe(false);
    expect(addToRegisters(r, [key(0x0001_0000, 0)])).toBe(true); // index 0, rank 2
    expect(r[0]).toBe(2);
    expect(addToRegisters(r, [key(0x0002_0000, 0)])).toBe(false); // index 0, rank 1: lower
    expect(r[0]).toBe(2);
    expect(addToRegisters(r, [key(0, 0)])).toBe(true); // index 0, rank 51
    expect(r[0]).toBe(51);
    const ks = keys('again', 1000);
    expect(addToRegisters(r, ks)).toBe(true);
    expect(addToRegisters(r, ks)).toBe(false);
  });

  it('adds 500,000 keys in well under 100 ms', () => {
    const ks = keys('speed', 500_000);
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const r = emptyRegisters();
      const t = performance.now();
      addToRegisters(r, ks);
      best = Math.min(best, performance.now() - t);
    }
    expect(best).toBeLessThan(100);
  });
});

describe('packedUpdates', () => {
  it('packs one (uint16 BE index, rank) triple per touched register, its max rank, ascending', () => {
    const p = packedUpdates([
      key(0xfffc_0000, 1), // 0x3fff, rank 50
      key(0x0004_0000 | 0x0002_0000, 0), // index 1, rank 1
      key(0x0004_0000, 0x8000_0000), // index 1, rank 19
      key(0x0004_0000 | 0x0001_0000, 0), // index 1, rank 2
      key(0x0100_0000 | 0x0002_0000, 0), // index 0x40, rank 1
    ]);
    expect([...p]).toEqual([0x00, 0x01, 19, 0x00, 0x40, 1, 0x3f, 0xff, 50]);
    expect(packedUpdates([]).length).toBe(0);
  });

  it('leaves nothing behind for the next call when a bad key throws mid-batch', () => {
    const good = keys('before-throw', 500);
    expect(() => packedUpdates([...good, Buffer.alloc(3)])).toThrow(RangeError);
    // The last register only: a leftover of the failed call would come first.
    expect(packedUpdates([key(0xfffc_0000, 1)])).toEqual(Buffer.from([0x3f, 0xff, 50]));
    expect(packedUpdates(good).equals(packedUpdates(good))).toBe(true);
  });

  it('applied as the Redis script does (GETRANGE/SETRANGE where higher), gives addToRegisters', () => {
    const stored = emptyRegisters();
    addToRegisters(stored, keys('stored', 20_000));
    const batch = keys('batch', 3_000);
    const viaScript = Buffer.from(stored);
    const p = packedUpdates(batch);
    expect(p.length % 3).toBe(0);
    for (let o = 0; o < p.length; o += 3) {
      const index = p.readUInt16BE(o);
      if (o > 0) expect(index).toBeGreaterThan(p.readUInt16BE(o - 3));
      if ((p[o + 2] as number) > (viaScript[index] as number)) viaScript[index] = p[o + 2] as number;
    }
    const direct = Buffer.from(stored);
    addToRegisters(direct, batch);
    expect(viaScript.equals(direct)).toBe(true);
  });
});

describe('mergeRegisters', () => {
  it('keeps the larger register at each index', () => {
    const a = emptyRegisters();
    const b = emptyRegisters();
    addToRegisters(a, keys('a', 5_000));
    addToRegisters(b, keys('b', 5_000));
    const both = emptyRegisters();
    addToRegisters(both, [...keys('a', 5_000), ...keys('b', 5_000)]);
    mergeRegisters(a, b);
    expect(a.equals(both)).toBe(true);
  });

  it('counts the missing tail of a short `from` as 0', () => {
    const into = emptyRegisters();
    into[0] = 3;
    into[1] = 4;
    into[2] = 1;
    into[HLL_REGISTERS - 1] = 9;
    mergeRegisters(into, Buffer.from([5, 0, 7]));
    expect([...into.subarray(0, 4)]).toEqual([5, 4, 7, 0]);
    expect(into[HLL_REGISTERS - 1]).toBe(9);
    mergeRegisters(into, Buffer.alloc(0));
    expect(into[0]).toBe(5);
  });

  it('refuses a target that is not HLL_REGISTERS bytes, or a longer source', () => {
    expect(() => mergeRegisters(Buffer.alloc(10), Buffer.alloc(3))).toThrow(RangeError);
    expect(() => mergeRegisters(emptyRegisters(), Buffer.alloc(HLL_REGISTERS + 1))).toThrow(RangeError);
  });
});

describe('estimate', () => {
  it('is 0 for an empty sketch, or a sketch never written', () => {
    expect(estimate(emptyRegisters())).toBe(0);
    expect(estimate(Buffer.alloc(0))).toBe(0);
  });

  it('reads a short buffer as zero-padded', () => {
    const r = emptyRegisters();
    addToRegisters(r, keys('short', 3_000));
    const head = r.subarray(0, 5_000);
    const padded = emptyRegisters();
    head.copy(padded);
    expect(estimate(head)).toBe(estimate(padded));
  });

  it('refuses a register above the largest rank', () => {
    const r = emptyRegisters();
    r[7] = 52;
    expect(() => estimate(r)).toThrow(RangeError);
  });

  it('is within 2 of the truth for 1..100 keys', () => {
    for (let n = 1; n <= 100; n++) expect(Math.abs(estimateOf(`small-${n}`, n) - n), `n = ${n}`).toBeLessThanOrEqual(2);
  });

  it.each([10_000, 100_000, 1_000_000, 2_100_000])('is within 2%% at %i keys', (n) => {
    const est = estimateOf(`large-${n}`, n);
    expect(Math.abs(est - n) / n).toBeLessThan(0.02);
  });

  it('has the advertised spread, no bias, and bounds that hold, over 200 sketches of 50,000', () => {
    const n = 50_000;
    const errors: number[] = [];
    for (let t = 0; t < 200; t++) {
      const est = estimateOf(`trial-${t}`, n);
      errors.push(est / n - 1);
      expect(lowerBound(est), `trial ${t}`).toBeLessThanOrEqual(n);
      expect(upperBound(est), `trial ${t}`).toBeGreaterThanOrEqual(n);
      // Not vacuous: ±5σ is about ±4%.
      expect(upperBound(est) - lowerBound(est)).toBeLessThan(0.1 * n);
    }
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    const sd = Math.sqrt(errors.reduce((a, b) => a + (b - mean) ** 2, 0) / (errors.length - 1));
    // The mean of 200 has a standard error of σ/√200 ≈ 0.06%.
    expect(Math.abs(mean)).toBeLessThan(0.003);
    expect(sd).toBeGreaterThan(0.6 * HLL_STANDARD_ERROR);
    expect(sd).toBeLessThan(1.3 * HLL_STANDARD_ERROR);
  });
});

describe('lowerBound / upperBound', () => {
  it('sit 5 standard errors either side, on the safe side', () => {
    expect(HLL_Z).toBe(5);
    expect(HLL_STANDARD_ERROR).toBeCloseTo(0.008125, 6);
    expect(lowerBound(0)).toBe(0);
    expect(upperBound(0)).toBe(0);
    // Whichever way the 5σ is read (of the truth or of the estimate), both bounds sit outside it.
    const zs = HLL_Z * HLL_STANDARD_ERROR;
    for (const est of [37.5, 99_000, 2_000_000]) {
      expect(lowerBound(est)).toBeLessThanOrEqual(est * (1 - zs));
      expect(lowerBound(est)).toBeLessThanOrEqual(est / (1 + zs));
      expect(upperBound(est)).toBeGreaterThanOrEqual(est / (1 - zs));
      expect(upperBound(est)).toBeGreaterThanOrEqual(est * (1 + zs));
      // ...and not far outside.
      expect(lowerBound(est)).toBeGreaterThan(est * (1 - zs) - 1);
      expect(upperBound(est)).toBeLessThan(est / (1 - zs) + 1);
    }
    expect(lowerBound(2_000_000)).toBe(1_918_750);
    expect(upperBound(2_000_000)).toBe(2_084_691);
  });
});
