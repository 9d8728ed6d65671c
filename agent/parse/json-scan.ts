/**
 * Cheap checks around `JSON.parse`, so the common case costs one native scan of the text and one
 * walk of the parsed value:
 * - an upper bound on the object keys written in the text (`keyColons`), to compare with the keys
 *   `JSON.parse` kept (`shapeOf`): fewer kept than written means a repeated key, whose earlier
 *   values `JSON.parse` drops and classify would never see (json-duplicates.ts reparses keeping
 *   them). Equal counts prove there is none, since kept ≤ written ≤ the bound;
 * - nesting depth, from the same walk (V8's `JSON.parse` is iterative, so a deep body costs heap,
 *   not stack; the walk stops at the limit).
 */

/**
 * An upper bound on the object keys in JSON text that `JSON.parse` accepted: the `:` whose previous
 * non-whitespace character is `"`. Every key ends that way; inside a string the pair needs an
 * escaped quote (`\":`), which only adds to the bound. Colons are found with native `indexOf`.
 */
export function keyColons(text: string): number {
  let keys = 0;
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    let b = i - 1;
    for (let c = text.charCodeAt(b); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(--b));
    if (text.charCodeAt(b) === 0x22) keys++;
  }
  return keys;
}

export interface JsonShape {
  /** Own keys of every object in the value. */
  readonly keys: number;
  /** Deepest nesting of objects and arrays; the walk stops once it passes `maxDepth`. */
  readonly depth: number;
}

/** Keys and nesting of a parsed JSON value, walked without recursion; stops past `maxDepth`. */
export function shapeOf(value: unknown, maxDepth: number): JsonShape {
  if (typeof value !== 'object' || value === null) return { keys: 0, depth: 0 };
  let keys = 0;
  let max = 1;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as object;
    const depth = depths.pop() as number;
    if (depth > max) {
      max = depth;
      if (max > maxDepth) break;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (typeof v === 'object' && v !== null) (nodes.push(v), depths.push(depth + 1));
      }
      continue;
    }
    // for-in over a JSON.parse object: its own keys (`__proto__` included), no array allocated.
    for (const k in node) {
      keys++;
      const v = (node as Record<string, unknown>)[k];
      if (typeof v === 'object' && v !== null) (nodes.push(v), depths.push(depth + 1));
    }
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
