/**
 * identify: Classified → Subjects.
 * In: classified records with raw values, the identity key, the transfer's id and date.
 * Out: one subject per person occurrence, keyed by HMAC-SHA256 of its strongest identifier.
 * Never: let a raw value past this point. Raw PI stops here.
 *
 * Keys (DESIGN): resident ID > passport or permit > mobile > e-mail > account number > a
 * combination of at least two of name, address and other contact. A subject with less (a bare
 * name, or only sensitive data such as a diagnosis) cannot be told apart from others, so it gets a
 * key unique to this occurrence: it is always counted as a new person (an over-count, never an
 * under-count). See docs/decisions/0002-identity-keys.md.
 */
import { chinaDay } from '../clock.js';
import { birthDate, isResidentId } from '../classify/detectors/residentId.js';
import { findMobiles } from '../classify/detectors/mobile.js';
import type { Classified, KeyBasis, PiField, Subject, Subjects } from '../types.js';
import { personKey } from './key.js';
import { normalizeEmail, normalizePhone, normalizeResidentId, normalizeText } from './normalize.js';

export interface IdentifyContext {
  readonly key: Buffer;
  readonly transferId: string;
  readonly onDate: Date;
  /** Which dictionary sensitivity applies: gbt45574 (default) counts `always` items, gbt35273 also `strict` ones. */
  readonly sensitivityProfile: 'gbt45574' | 'gbt35273';
  /** Index of the first record in the whole body, when records come in batches (parse/stream.ts); default 0. */
  readonly recordOffset?: number;
}

/** PIPL Art. 28: all PI of a minor under 14 is sensitive. */
const MINOR_AGE = 14;
const QUASI_ANCHORS = new Set(['name', 'address', 'contact']);

export function identify(input: Classified, ctx: IdentifyContext): Subjects {
  const subjects: Subject[] = [];
  input.records.forEach((record, index) => {
    for (const [group, fields] of groupBySubject(record.fields)) {
      const subject = keySubject(fields, ctx, index + (ctx.recordOffset ?? 0), group);
      if (subject) subjects.push(subject);
    }
  });
  return { subjects, dataItems: input.dataItems, indicators: input.indicators, recordCount: input.records.length };
}

/** Fields of one person: same object path and same role; each detector hit stands alone. */
function groupBySubject(fields: readonly PiField[]): Map<string, PiField[]> {
  const groups = new Map<string, PiField[]>();
  // A record's named fields mostly come in runs of one object and role: reuse the last group
  // without building and hashing its key again (insertion order, hence subject order, is unchanged).
  let last: { parent: string; subject: string | undefined; list: PiField[] } | undefined;
  for (const f of fields) {
    if (f.via !== 'detector' && last && f.parent === last.parent && f.subject === last.subject) {
      last.list.push(f);
      continue;
    }
    const group = f.via === 'detector' ? `${f.path}#detected#${f.value}` : `${f.parent}#${f.subject ?? 'person'}`;
    let list = groups.get(group);
    if (list) list.push(f);
    else groups.set(group, (list = [f]));
    last = f.via === 'detector' ? undefined : { parent: f.parent, subject: f.subject, list };
  }
  return groups;
}

interface Candidate {
  basis: KeyBasis;
  value: string;
}

const RANK: Record<KeyBasis, number> = { 'resident-id': 0, passport: 1, phone: 2, email: 3, account: 4, quasi: 5, unlinkable: 6 };

/** `record` and `group` name the occurrence, for a subject nothing links (built only then). */
function keySubject(fields: readonly PiField[], ctx: IdentifyContext, record: number, group: string): Subject | undefined {
  let best: Candidate | undefined;
  // The quasi-identifiers' text is needed only when no identifier keys the subject: kept as fields
  // and normalized at the end, if at all (normalizeText is NFKC over names and addresses).
  const quasi: PiField[] = [];
  let anchors = 0;
  let sensitive = false;
  for (const f of fields) {
    // The dictionary says which data is sensitive PI, and under which profile (regs/national-rules.md).
    if (f.sensitive === 'always' || (f.sensitive === 'strict' && ctx.sensitivityProfile === 'gbt35273')) sensitive = true;
    switch (f.identifies) {
      case 'resident-id': {
        const id = normalizeResidentId(f.value);
        if (isResidentId(id, ctx.onDate)) {
          best = better(best, 'resident-id', id);
          if (isUnder14(id, ctx.onDate)) sensitive = true;
        } else {
          quasi.push(f);
        }
        break;
      }
      case 'contact': {
        const phone = findMobiles(f.value.normalize('NFKC'))[0];
        if (phone) best = better(best, 'phone', normalizePhone(phone));
        else if (f.value.includes('@')) best = better(best, 'email', normalizeEmail(f.value));
        else {
          quasi.push(f);
          anchors++;
        }
        break;
      }
      // Passport, permit and account numbers carry no checksum: normalized, never validated away.
      case 'passport':
      case 'account': {
        const value = normalizeResidentId(f.value);
        if (value) best = better(best, f.identifies, value);
        break;
      }
      case 'age':
        if (Number(f.value) < MINOR_AGE && f.value.trim() !== '') sensitive = true;
        quasi.push(f);
        break;
      case 'name':
      case 'address':
      case 'gender':
        quasi.push(f);
        if (QUASI_ANCHORS.has(f.identifies)) anchors++;
        break;
      default:
        break; // goods, times, order numbers: data items of the subject, not identifiers
    }
  }
  // Goods and order numbers alone are no person; anything identifying or sensitive is one.
  const isPerson = best !== undefined || quasi.length > 0 || fields.some((f) => f.sensitive !== undefined);
  if (!isPerson) return undefined;
  if (!best) {
    best =
      anchors >= 2
        ? { basis: 'quasi', value: quasi.map((f) => `${f.dataItem}=${normalizeText(f.value)}`).sort().join('\u001f') }
        : { basis: 'unlinkable', value: `${ctx.transferId}\0${record}\0${group}` };
  }
  return {
    key: personKey(ctx.key, best.basis, best.value),
    basis: best.basis,
    dataItems: dataItemsOf(fields),
    sensitive,
  };
}

/** The stronger candidate; at the same rank the smaller value, so field order never changes a person's key. */
function better(best: Candidate | undefined, basis: KeyBasis, value: string): Candidate {
  if (!best || RANK[basis] < RANK[best.basis] || (RANK[basis] === RANK[best.basis] && value < best.value)) return { basis, value };
  return best;
}

/** The fields' data items, sorted, each once. */
function dataItemsOf(fields: readonly PiField[]): string[] {
  // A subject has a handful of fields: insertion into a sorted list (UTF-16 code unit order, as
  // the default sort) beats a Set and a sort call for each subject.
  const out: string[] = [];
  for (const f of fields) {
    const item = f.dataItem;
    let i = out.length;
    while (i > 0 && (out[i - 1] as string) > item) i--;
    if (i > 0 && out[i - 1] === item) continue;
    out.splice(i, 0, item);
  }
  return out;
}

function isUnder14(id: string, onDate: Date): boolean {
  const birth = birthDate(id);
  if (!birth) return false;
  const [y, m, d] = chinaDay(onDate).split('-').map(Number) as [number, number, number];
  const fourteenth = Date.UTC(birth.getUTCFullYear() + MINOR_AGE, birth.getUTCMonth(), birth.getUTCDate());
  return Date.UTC(y, m - 1, d) < fourteenth;
}
