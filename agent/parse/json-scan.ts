/**
 * A cheap pass over JSON text before and after `JSON.parse`, so the common case costs one scan:
 * - nesting depth, checked before `JSON.parse` (whose recursion overflows the stack on a body of
 *   ~100,000 opening brackets: a RangeError, not a parse error);
 * - the number of object keys written in the text (a `:` outside strings is always a key's), to
 *   compare with the keys `JSON.parse` kept: fewer kept means a repeated key, whose earlier values
 *   `JSON.parse` drops and classify would never see (json-duplicates.ts reparses keeping them).
 * The scan jumps from quote to quote with `indexOf`, so string contents cost native speed.
 */

export interface JsonShape {
  /** Keys written in the text (`:` outside strings). */
  readonly keys: number;
  /** Deepest nesting of `{` and `[` seen; past `maxDepth` the scan stops there. */
  readonly depth: number;
}

/** Keys and nesting of JSON text; stops as soon as the nesting passes `maxDepth`. Never throws. */
export function scanJson(text: string, maxDepth: number): JsonShape {
  let keys = 0;
  let depth = 0;
  let max = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = closingQuote(text, i);
      if (end < 0) break;
      i = end;
    } else if (c === 0x3a) keys++;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > maxDepth) break;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return { keys, depth: max };
}

/** Index of the quote closing the string opened at `open`, or -1 when it is never closed. */
export function closingQuote(text: string, open: number): number {
  for (let q = text.indexOf('"', open + 1); q >= 0; q = text.indexOf('"', q + 1)) {
    // A quote preceded by an odd run of backslashes is escaped. Each run precedes one quote: O(n) overall.
    let b = q - 1;
    while (text.charCodeAt(b) === 0x5c) b--;
    if ((q - 1 - b) % 2 === 0) return q;
  }
  return -1;
}

/** Object keys in a parsed JSON value, counted without recursion (the value may nest deeply). */
export function countKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let keys = 0;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const node = stack.pop() as object;
    if (Array.isArray(node)) {
      for (const v of node) if (typeof v === 'object' && v !== null) stack.push(v);
      continue;
    }
    const names = Object.keys(node);
    keys += names.length;
    for (const k of names) {
      const v = (node as Record<string, unknown>)[k];
      if (typeof v === 'object' && v !== null) stack.push(v);
    }
  }
  return keys;
}

/** Character index of the first `\u0000` escape in JSON text (a NUL in a string or key), or -1. */
export function escapedNul(text: string): number {
  for (let i = text.indexOf('\\u0000'); i >= 0; i = text.indexOf('\\u0000', i + 1)) {
    // `\\u0000` is an escaped backslash followed by the letters u0000: only an odd run escapes.
    let b = i - 1;
    while (text.charCodeAt(b) === 0x5c) b--;
    if ((i - 1 - b) % 2 === 0) return i;
  }
  return -1;
}
