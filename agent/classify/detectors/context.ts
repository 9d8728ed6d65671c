/**
 * Label context for identifiers without a checksum (regs/national-rules.md, "Identifiers"): a label
 * word (护照, 账号, passport…) in the field's own name or ending at most LABEL_WINDOW characters
 * before the value. Only candidates pay for this check; the prefilters run first.
 */
import { normalizeTerm } from '../../policy/terms.js';

/** How far before a value a label word may end: `护照号码：E12345678`, `Passport No.: E12345678`. */
export const LABEL_WINDOW = 8;

/** A set of lower-case label words, matched in free text and in field names. */
export interface Labels {
  readonly words: readonly string[];
  /** The words as field names normalize them (no spaces), for labelInKey. */
  readonly terms: readonly string[];
  readonly longest: number;
}

export function labels(...words: string[]): Labels {
  const lower = words.map((w) => w.toLowerCase());
  return { words: lower, terms: lower.map((w) => w.replace(/\s+/g, '')), longest: Math.max(...lower.map((w) => w.length)) };
}

/** True if a label word ends at most LABEL_WINDOW characters before `start` in `text`. */
export function labelBefore(text: string, start: number, set: Labels): boolean {
  const window = text.slice(Math.max(0, start - LABEL_WINDOW - set.longest), start).toLowerCase();
  for (const w of set.words) {
    const at = window.lastIndexOf(w);
    if (at >= 0 && window.length - (at + w.length) <= LABEL_WINDOW) return true;
  }
  return false;
}

/** A field's name, normalized once and only when a candidate asks (names can be long and hostile). */
export type FieldName = string | (() => string);

/**
 * Normalized field names, shared across values and transfers: the same few names come with every
 * record. Bounded (emptied when full) so a body of endless fresh names cannot grow it.
 */
const terms = new Map<string, string>();
const MAX_TERMS = 10_000;

function termOf(key: string): string {
  let term = terms.get(key);
  if (term === undefined) {
    if (terms.size >= MAX_TERMS) terms.clear();
    // Long names are normalized but not kept: the cache is for the names records repeat.
    term = normalizeTerm(key);
    if (key.length <= 256) terms.set(key, term);
  }
  return term;
}

/** A FieldName that normalizes `key` on first use. */
export function fieldName(key: string | undefined): FieldName | undefined {
  if (key === undefined) return undefined;
  return () => termOf(key);
}

/** True if the field name holds a label word (`passportNo`, `holder_passport`, `收款账号`). */
export function labelInKey(key: FieldName | undefined, set: Labels): boolean {
  if (key === undefined) return false;
  const term = typeof key === 'string' ? normalizeTerm(key) : key();
  if (term === '') return false;
  // The answer per name is kept beside the normalized names (same bound): records repeat their names.
  let answers = inKey.get(set);
  if (!answers) inKey.set(set, (answers = new Map()));
  let found = answers.get(term);
  if (found === undefined) {
    found = false;
    for (const w of set.terms) if (term.includes(w)) found = true;
    if (answers.size >= MAX_TERMS) answers.clear();
    if (term.length <= 256) answers.set(term, found);
  }
  return found;
}

const inKey = new WeakMap<Labels, Map<string, boolean>>();

/** Either kind of label context. */
export const labelled = (text: string, start: number, key: FieldName | undefined, set: Labels): boolean =>
  labelBefore(text, start, set) || labelInKey(key, set);

/** Words that say a number is an order, parcel or transaction number, not a person's. */
export const ORDER_LABELS = labels('订单', '单号', '运单', '快递', '物流', '流水', '交易号', '编号', '批次', 'order', 'tracking', 'waybill', 'parcel', 'invoice', 'txn', 'serial', 'sku', 'batch');

/**
 * Visit every match of the global regex `re` in `text`. Unlike String#matchAll it does not clone
 * the regex on each call, which on short strings costs more than the match itself.
 */
export function eachMatch(re: RegExp, text: string, visit: (m: RegExpExecArray) => void): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) visit(m);
  re.lastIndex = 0;
}
