/**
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) for the hot path: the key's inner and outer pad blocks are
 * compressed once per key, so keying a short value costs two SHA-256 compressions in JS and no
 * native call. `createHmac` per value redoes the key set-up and pays several native crossings
 * (~2.6 µs on the benchmark machine; this: well under 1 µs). The output is byte for byte
 * `createHmac('sha256', key).update(message).digest()` (test/unit/identify/hmac.test.ts checks it
 * against node:crypto on random keys and messages, short and multi-block, ASCII, CJK and astral).
 * Why a hash of our own: docs/decisions/0011-hot-path.md.
 */

import { createHash } from 'node:crypto';

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** Scratch message schedule, shared: compression is synchronous and never re-entered. */
const W = new Int32Array(64);

/** One SHA-256 compression of the 64 bytes of `block` at `at` into `state` (8 words). */
function compress(state: Int32Array, block: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) W[i] = (block[at]! << 24) | (block[at + 1]! << 16) | (block[at + 2]! << 8) | block[at + 3]!;
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!, e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** Scratch: the message (grown on demand) and the state being hashed. */
let msg = new Uint8Array(256);
const state = new Int32Array(8);
const outerBlock = new Uint8Array(64);

/**
 * UTF-8 of `s` into `msg` from `at`, as Buffer.from(s, 'utf8') writes it (a lone surrogate as
 * U+FFFD, EF BF BD); returns the end offset.
 */
function writeUtf8(s: string, at: number): number {
  if (msg.length < at + s.length * 3 + 72) {
    const bigger = new Uint8Array(Math.max(msg.length * 2, at + s.length * 3 + 72));
    bigger.set(msg.subarray(0, at));
    msg = bigger;
  }
  const m = msg;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) m[at++] = c;
    else if (c < 0x800) {
      m[at++] = 0xc0 | (c >> 6);
      m[at++] = 0x80 | (c & 63);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          m[at++] = 0xf0 | (c >> 18);
          m[at++] = 0x80 | ((c >> 12) & 63);
          m[at++] = 0x80 | ((c >> 6) & 63);
          m[at++] = 0x80 | (c & 63);
          continue;
        }
        c = 0xfffd;
      }
      m[at++] = 0xe0 | (c >> 12);
      m[at++] = 0x80 | ((c >> 6) & 63);
      m[at++] = 0x80 | (c & 63);
    }
  }
  return at;
}

/** SHA-256 padding after `len` message bytes, of which `prefix` were compressed already; compresses the rest into `state`. */
function finish(len: number, prefixBytes: number): void {
  const m = msg;
  const total = len + prefixBytes;
  let end = len;
  m[end++] = 0x80;
  while (end % 64 !== 56) m[end++] = 0;
  const bits = total * 8;
  const hi = Math.floor(bits / 0x100000000);
  m[end++] = hi >>> 24;
  m[end++] = (hi >>> 16) & 255;
  m[end++] = (hi >>> 8) & 255;
  m[end++] = hi & 255;
  m[end++] = bits >>> 24;
  m[end++] = (bits >>> 16) & 255;
  m[end++] = (bits >>> 8) & 255;
  m[end++] = bits & 255;
  for (let at = 0; at < end; at += 64) compress(state, m, at);
}

/** HMAC-SHA256 under one key, its pad blocks compressed once. */
export class KeyedHmac {
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);

  constructor(key: Uint8Array) {
    // RFC 2104: a key longer than the block is hashed first; shorter ones are zero-padded.
    const k = key.length > 64 ? createHash('sha256').update(key).digest() : key;
    const pad = new Uint8Array(64);
    for (const [target, byte] of [[this.inner, 0x36], [this.outer, 0x5c]] as const) {
      pad.fill(byte);
      for (let i = 0; i < k.length; i++) pad[i] = k[i]! ^ byte;
      target.set(IV);
      compress(target, pad, 0);
    }
  }

  /** HMAC of the UTF-8 of `parts` joined with nothing between, first `outBytes` bytes (≤ 32). */
  digest(parts: readonly string[], outBytes = 32): Buffer {
    let len = 0;
    for (const p of parts) len = writeUtf8(p, len);
    state.set(this.inner);
    finish(len, 64);
    // Outer: H(K ^ opad ‖ inner digest): one block, the 32-byte digest and its padding (768 bits).
    const o = outerBlock;
    for (let i = 0; i < 8; i++) {
      const w = state[i]!;
      o[i * 4] = w >>> 24;
      o[i * 4 + 1] = (w >>> 16) & 255;
      o[i * 4 + 2] = (w >>> 8) & 255;
      o[i * 4 + 3] = w & 255;
    }
    o[32] = 0x80;
    o.fill(0, 33, 62);
    o[62] = 0x03;
    o[63] = 0x00;
    state.set(this.outer);
    compress(state, o, 0);
    return wordsToBytes(state, outBytes);
  }
}

function wordsToBytes(words: Int32Array, bytes = 32): Buffer {
  // Not from the shared pool: a kept 16-byte key must not pin an 8 KiB pool slab.
  const out = Buffer.allocUnsafeSlow(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (words[i >> 2]! >>> (24 - 8 * (i & 3))) & 255;
  return out;
}
