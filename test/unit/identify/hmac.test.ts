/** The hot path's HMAC-SHA256 (identify/hmac.ts) gives node:crypto's bytes for every key and message. */
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyedHmac } from '../../../agent/identify/hmac.js';
import { personKey } from '../../../agent/identify/key.js';

/** A random string mixing ASCII, CJK, full-width, astral characters and lone surrogates. */
function randomText(len: number, seed: Buffer): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const r = seed[i % seed.length]! ^ (i * 31);
    switch (r % 6) {
      case 0:
      case 1:
        s += String.fromCharCode(32 + (r % 95));
        break;
      case 2:
        s += String.fromCharCode(0x4e00 + ((r * 97 + i) % 0x5000));
        break;
      case 3:
        s += String.fromCharCode(0x80 + ((r * 13 + i) % 0x700));
        break;
      case 4:
        s += String.fromCodePoint(0x1f600 + (r % 64));
        break;
      default:
        s += i % 2 === 0 ? String.fromCharCode(0xd800 + (r % 64)) : String.fromCharCode(0xff10 + (r % 10));
    }
  }
  return s;
}

describe('KeyedHmac', () => {
  it('equals createHmac on random keys (short, 64 bytes, longer than a block) and messages of every length up to 3 blocks', () => {
    for (const keyLen of [1, 32, 63, 64, 65, 200]) {
      const key = randomBytes(keyLen);
      const h = new KeyedHmac(key);
      for (let len = 0; len <= 200; len++) {
        const text = randomText(len, randomBytes(16));
        const want = createHmac('sha256', key).update(text).digest();
        expect(h.digest([text]).equals(want), `key ${keyLen} bytes, message of ${len} characters`).toBe(true);
      }
    }
  });

  it('joins parts with nothing between and cuts to the bytes asked for', () => {
    const key = randomBytes(32);
    const h = new KeyedHmac(key);
    const want = createHmac('sha256', key).update('phone').update('\0').update('13912345678').digest();
    expect(h.digest(['phone', '\0', '13912345678'], 16).equals(want.subarray(0, 16))).toBe(true);
    expect(h.digest(['phone\0', '13912345678']).equals(want)).toBe(true);
  });

  it('hashes a long value (many blocks, over the scratch size) like node:crypto', () => {
    const key = randomBytes(32);
    const text = randomText(5000, randomBytes(64));
    expect(new KeyedHmac(key).digest([text]).equals(createHmac('sha256', key).update(text).digest())).toBe(true);
  });
});

describe('personKey', () => {
  it('is HMAC-SHA256(key, basis ‖ 0 ‖ value) cut to 16 bytes, and follows a key Buffer refilled with another key', () => {
    const key = randomBytes(32);
    const expected = (basis: string, v: string) => createHmac('sha256', key).update(basis).update('\0').update(v).digest().subarray(0, 16);
    expect(personKey(key, 'phone', '13912345678').equals(expected('phone', '13912345678'))).toBe(true);
    expect(personKey(key, 'quasi', '姓名=张三\u001f地址=广西南宁').equals(expected('quasi', '姓名=张三\u001f地址=广西南宁'))).toBe(true);
    randomBytes(32).copy(key);
    expect(personKey(key, 'phone', '13912345678').equals(expected('phone', '13912345678'))).toBe(true);
  });
});
