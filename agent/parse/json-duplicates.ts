/**
 * JSON with repeated object keys. `JSON.parse` keeps only the last value of a repeated key
 * (`{"note":"x","note":"<a resident ID>"}` → `{note: "<a resident ID>"}`, and the reverse order
 * hides the ID), yet the bytes forwarded carry every value and the upstream's parser may keep the
 * first. This parser keeps them all: a repeated key holds an array of its values in order, which
 * classify walks like any array, under the same field name. Such arrays are remembered in
 * `REPEATED`, so recordsAt can tell a repeated key on the record root's path from a real array.
 *
 * Called only when `JSON.parse` kept fewer keys than json-scan.ts's bound on those written, on text
 * `JSON.parse` has accepted; it still checks what it reads. Iterative (an explicit stack), so
 * nesting costs heap, not call stack. Keys are set as own properties (fields.ts): `__proto__` is a
 * field here too, as in `JSON.parse`.
 */
import { XbError } from '../errors.js';
import { setField } from './fields.js';
import { closingQuote } from './json-scan.js';

/** Arrays that stand for a repeated key's values (not an array in the body). */
export const REPEATED: WeakSet<unknown[]> = new WeakSet();

type Frame = { readonly obj: Record<string, unknown>; key: string } | { readonly arr: unknown[] };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parse JSON text keeping every value of a repeated key; XB_PARSE_INVALID_JSON (with a position) on anything JSON.parse would refuse. */
export function parseKeepingDuplicates(text: string, message: (why: string) => string): unknown {
  const bad = (at: number) => new XbError('XB_PARSE_INVALID_JSON', message(` (error at character ${at})`));
  const stack: Frame[] = [];
  let i = 0;
  let root: unknown;

  const ws = () => {
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++i));
  };
  const string = (): string => {
    if (text.charCodeAt(i) !== 0x22) throw bad(i);
    const end = closingQuote(text, i);
    if (end < 0) throw bad(i);
    const raw = text.slice(i, end + 1);
    const at = i;
    i = end + 1;
    if (!raw.includes('\\')) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      throw bad(at);
    }
  };
  /** After `{` or `,` in an object: the key and its colon. */
  const key = (frame: { key: string }) => {
    ws();
    frame.key = string();
    ws();
    if (text.charCodeAt(i) !== 0x3a) throw bad(i);
    i++;
  };
  /** A finished value goes into the container on top of the stack (or is the root). */
  const put = (v: unknown) => {
    const top = stack[stack.length - 1];
    if (!top) root = v;
    else if ('arr' in top) top.arr.push(v);
    else addRepeated(top.obj, top.key, v);
  };

  for (;;) {
    // A value starts here.
    ws();
    const c = text.charCodeAt(i);
    let done: unknown;
    let complete = true;
    if (c === 0x7b) {
      i++;
      ws();
      const obj: Record<string, unknown> = {};
      if (text.charCodeAt(i) === 0x7d) {
        i++;
        done = obj;
      } else {
        const frame = { obj, key: '' };
        stack.push(frame);
        key(frame);
        complete = false;
      }
    } else if (c === 0x5b) {
      i++;
      ws();
      const arr: unknown[] = [];
      if (text.charCodeAt(i) === 0x5d) {
        i++;
        done = arr;
      } else {
        stack.push({ arr });
        complete = false;
      }
    } else if (c === 0x22) done = string();
    else if (text.startsWith('true', i)) [done, i] = [true, i + 4];
    else if (text.startsWith('false', i)) [done, i] = [false, i + 5];
    else if (text.startsWith('null', i)) [done, i] = [null, i + 4];
    else {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) throw bad(i);
      done = Number(m[0]);
      i += m[0].length;
    }
    if (!complete) continue;
    // Close what this value completes; stop at a `,` that asks for the next value.
    for (;;) {
      put(done);
      ws();
      const top = stack[stack.length - 1];
      if (!top) {
        if (i !== text.length) throw bad(i);
        return root;
      }
      const d = text.charCodeAt(i);
      if (d === 0x2c) {
        i++;
        if (!('arr' in top)) key(top);
        break;
      }
      if (d !== ('arr' in top ? 0x5d : 0x7d)) throw bad(i);
      i++;
      stack.pop();
      done = 'arr' in top ? top.arr : top.obj;
    }
  }
}

/** Set a key; a repeated one holds the array of its values (marked in REPEATED). */
function addRepeated(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (!Object.prototype.hasOwnProperty.call(obj, key)) return setField(obj, key, value);
  const prev = obj[key];
  if (Array.isArray(prev) && REPEATED.has(prev)) prev.push(value);
  else {
    const values = [prev, value];
    REPEATED.add(values);
    setField(obj, key, values);
  }
}
