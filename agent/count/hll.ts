/**
 * HyperLogLog over person keys: 2^14 one-byte registers (16 KiB), the sketch kept beside every
 * exact counter and every union (route, recipient, month) in both stores, and built in-process for
 * a batch's pre-estimate. Standard error 1.04/√m = 0.81%, as Redis's own HLL.
 * No second hash: a person key is the first 16 bytes of an HMAC-SHA256, already uniform bits, so
 * the register index and rank are read from the key itself (bytes 0-7, as a 64-bit hash).
 * Never: decide that a person was already counted (the exact set does; DESIGN, Never under-count).
 * Why our own registers and not PFADD: docs/decisions/0007-hyperloglog.md.
 */

export const HLL_PRECISION = 14;
export const HLL_REGISTERS = 1 << HLL_PRECISION; // 16384 one-byte registers
/** Largest rank: 64 - 14 = 50 tail bits, all zero → 51. */
const MAX_RANK = 64 - HLL_PRECISION + 1;
const KEY_BYTES = 16;

/** 1.04/sqrt(m): 0.8125% at m = 16384. */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(HLL_REGISTERS);
/** Standard errors in lowerBound/upperBound: at 5σ a Gaussian tail is ~3e-7 per side. */
export const HLL_Z = 5;

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`HLL key must be ${KEY_BYTES} bytes, got ${key.length}`);
}

// The register of a key whose first two big-endian 32-bit words are hi, lo, packed as
// index << 8 | rank so the hot loops allocate nothing.
function slot(hi: number, lo: number): number {
  const index = hi >>> (32 - HLL_PRECISION);
  // The 18 low bits of hi, moved to the top of a word (its 14 low bits are then 0), then lo.
  const top = hi << HLL_PRECISION;
  const rank = top !== 0 ? Math.clz32(top) + 1 : lo !== 0 ? 32 - HLL_PRECISION + Math.clz32(lo) + 1 : MAX_RANK;
  return (index << 8) | rank;
}

function slotOf(k: Buffer): number {
  checkKey(k);
  // Bytes read directly: cheaper than readUInt32BE's bounds checks on this path.
  const hi = ((k[0] as number) << 24) | ((k[1] as number) << 16) | ((k[2] as number) << 8) | (k[3] as number);
  const lo = ((k[4] as number) << 24) | ((k[5] as number) << 16) | ((k[6] as number) << 8) | (k[7] as number);
  return slot(hi, lo);
}

/** Register index and rank of a 16-byte key from its own bits: index = top 14 bits of the first 8 bytes, rank = 1 + leading zeros of the remaining 50 bits (max 51). */
export function registerOf(key: Buffer): { index: number; rank: number } {
  const s = slotOf(key);
  return { index: s >>> 8, rank: s & 0xff };
}

/** A sketch with nothing added: HLL_REGISTERS zero bytes. */
export const emptyRegisters = (): Buffer => Buffer.alloc(HLL_REGISTERS);

function checkRegisters(registers: Buffer, name: string): void {
  if (registers.length !== HLL_REGISTERS) throw new RangeError(`HLL ${name} must be ${HLL_REGISTERS} bytes, got ${registers.length}`);
}

/** Max-merge keys into registers in place; returns true if any register changed. */
export function addToRegisters(registers: Buffer, keys: Iterable<Buffer>): boolean {
  checkRegisters(registers, 'registers');
  let changed = false;
  for (const k of keys) {
    const s = slotOf(k);
    const index = s >>> 8;
    const rank = s & 0xff;
    if (rank > (registers[index] as number)) {
      registers[index] = rank;
      changed = true;
    }
  }
  return changed;
}

// Reused across calls, so a gateway batch of a few hundred keys costs its keys and not a 16 KiB
// allocation and scan: the max rank per register, and a bitmap of the touched registers (MSB
// first, so Math.clz32 yields them in ascending order). packedUpdates is synchronous and leaves
// both zeroed (also when a bad key throws); a key iterator must not itself call packedUpdates.
const scratch = new Uint8Array(HLL_REGISTERS);
const touchedBits = new Uint32Array(HLL_REGISTERS / 32);

/** Per touched register the max rank contributed by keys, packed 3 bytes each (uint16 BE index, uint8 rank), ascending index. A Redis Lua script merges this into a stored register string with GETRANGE/SETRANGE. */
export function packedUpdates(keys: Iterable<Buffer>): Buffer {
  let touched = 0;
  try {
    for (const k of keys) {
      const s = slotOf(k);
      const index = s >>> 8;
      const rank = s & 0xff;
      const had = scratch[index] as number;
      if (had === 0) {
        // Ranks are ≥ 1, so 0 means untouched.
        touched++;
        touchedBits[index >>> 5] = (touchedBits[index >>> 5] as number) | (0x80000000 >>> (index & 31));
      }
      if (rank > had) scratch[index] = rank;
    }
  } catch (err) {
    drainScratch(undefined);
    throw err;
  }
  const out = Buffer.allocUnsafe(touched * 3);
  drainScratch(out);
  return out;
}

// Writes the touched registers into `out` (if given) in ascending order, zeroing the scratch.
function drainScratch(out: Buffer | undefined): void {
  let o = 0;
  for (let w = 0; w < touchedBits.length; w++) {
    let bits = touchedBits[w] as number;
    if (bits === 0) continue;
    touchedBits[w] = 0;
    while (bits !== 0) {
      const b = Math.clz32(bits);
      const i = (w << 5) | b;
      if (out) {
        out[o] = i >>> 8;
        out[o + 1] = i & 0xff;
        out[o + 2] = scratch[i] as number;
        o += 3;
      }
      scratch[i] = 0;
      bits &= ~(0x80000000 >>> b);
    }
  }
}

/** Max-merge `from` into `into` (both HLL_REGISTERS bytes; a shorter `from`, e.g. a Redis string SETRANGE left short, counts missing bytes as 0). */
export function mergeRegisters(into: Buffer, from: Buffer): void {
  checkRegisters(into, 'target');
  if (from.length > HLL_REGISTERS) throw new RangeError(`HLL registers must be at most ${HLL_REGISTERS} bytes, got ${from.length}`);
  for (let i = 0; i < from.length; i++) {
    const r = from[i] as number;
    if (r > (into[i] as number)) into[i] = r;
  }
}

// Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017), algorithm 6: the
// improved raw estimator, unbiased over the whole range without empirical tables or a switch to
// linear counting (Redis ≥ 5 uses the same). σ and τ are his series, summed until they stop moving.
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (let prev = -1; prev !== z; ) {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  }
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (let prev = -1; prev !== z; ) {
    x = Math.sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
  }
  return z / 3;
}

const ALPHA_INF = 1 / (2 * Math.LN2);

/**
 * Cardinality estimate (Ertl's improved estimator; measured against the classical one with linear
 * counting in bench/micro/hll.mjs). A shorter buffer counts its missing registers as 0, like
 * mergeRegisters; an empty buffer (a sketch never written) is 0.
 */
export function estimate(registers: Buffer): number {
  if (registers.length > HLL_REGISTERS) throw new RangeError(`HLL registers must be at most ${HLL_REGISTERS} bytes, got ${registers.length}`);
  const m = HLL_REGISTERS;
  const c = new Float64Array(MAX_RANK + 1);
  c[0] = m - registers.length;
  for (let i = 0; i < registers.length; i++) {
    const r = registers[i] as number;
    if (r > MAX_RANK) throw new RangeError(`HLL register ${i} holds ${r}, above the largest rank ${MAX_RANK}`);
    c[r] = (c[r] as number) + 1;
  }
  if (c[0] === m) return 0;
  let z = m * tau(1 - (c[MAX_RANK] as number) / m);
  for (let k = MAX_RANK - 1; k >= 1; k--) z = 0.5 * (z + (c[k] as number));
  z += m * sigma((c[0] as number) / m);
  return (ALPHA_INF * m * m) / z;
}

// est = n·(1 + ε) with |ε| ≤ zσ gives est/(1 + zσ) ≤ n ≤ est/(1 − zσ). The lower side uses
// est·(1 − zσ), a little lower still (by ~z²σ² = 0.17%), as margin for the estimator's tails not
// being quite Gaussian; floor/ceil because n is a whole number.
/** A lower bound on the true cardinality behind `est`, at HLL_Z standard errors (est·(1 − 5σ), floored). */
export function lowerBound(est: number): number {
  return Math.max(0, Math.floor(est * (1 - HLL_Z * HLL_STANDARD_ERROR)));
}

/** An upper bound on the true cardinality behind `est`, at HLL_Z standard errors (est / (1 − 5σ), ceiled). */
export function upperBound(est: number): number {
  return Math.ceil(est / (1 - HLL_Z * HLL_STANDARD_ERROR));
}
