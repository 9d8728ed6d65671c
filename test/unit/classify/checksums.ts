/**
 * Check characters computed by the tests' own implementations of the standards, independent of
 * agent/: Luhn (ISO/IEC 7812-1 Annex B) and the unified social credit code's MOD 31 (GB 32100-2015).
 */

/** `body` followed by its Luhn check digit. */
export function withLuhn(body: string): string {
  if (!/^\d+$/.test(body)) throw new Error(`need digits, got ${body}`);
  let sum = 0;
  // Doubling starts at the rightmost digit of the body (the check digit will sit to its right).
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/** The same number with its last digit changed: the Luhn check fails. */
export const breakLast = (n: string): string => n.slice(0, -1) + String((Number(n.at(-1)) + 1) % 10);

const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** `first17` followed by its GB 32100-2015 check character (weights 3^i mod 31). */
export function withUsccCheck(first17: string): string {
  if (first17.length !== 17) throw new Error(`need 17 characters, got ${first17}`);
  let sum = 0;
  let weight = 1;
  for (const ch of first17) {
    const v = USCC_CHARSET.indexOf(ch);
    if (v < 0) throw new Error(`${ch} is not in the GB 32100 character set`);
    sum += v * weight;
    weight = (weight * 3) % 31;
  }
  return first17 + (USCC_CHARSET[(31 - (sum % 31)) % 31] as string);
}

/** The same code with a different (wrong) check character. */
export const wrongUsccCheck = (code: string): string => code.slice(0, 17) + (code[17] === '0' ? '1' : '0');
