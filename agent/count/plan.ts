/**
 * Which counters a transfer's persons go on (Guangxi 2025 list, items 4-7 of each PI domain):
 * a transfer whose PI all falls inside a limited counter's listed data items, on a route whose
 * scenario is listed, counts there; any other PI counts on the domain's general counter, and
 * persons with sensitive PI also on the sensitive counter (both tallies: the conservative reading
 * of national-rules.md, Counting). Listed items exclude sensitive PI ("不含敏感个人信息").
 */
import type { Counter, Domain } from '../policy/types.js';
import type { Subject, Subjects } from '../types.js';

export interface CounterPlan {
  readonly counter: Counter;
  /** Indices into the transfer's distinct person keys. */
  readonly persons: readonly number[];
}

export interface CountPlan {
  /** Distinct person keys of the transfer. */
  readonly persons: readonly Buffer[];
  readonly counters: readonly CounterPlan[];
}

export function planCount(subjects: Subjects, domain: Domain, scenario: string): CountPlan {
  const index = new Map<string, number>();
  const persons: Buffer[] = [];
  const all: number[] = [];
  const sensitive = new Set<number>();
  for (const s of subjects.subjects) {
    const hex = s.key.toString('hex');
    let i = index.get(hex);
    if (i === undefined) {
      i = persons.length;
      index.set(hex, i);
      persons.push(s.key);
      all.push(i);
    }
    if (s.sensitive) sensitive.add(i);
  }
  if (persons.length === 0) return { persons, counters: [] };
  const limited = sensitive.size === 0 ? domain.limited.find((c) => inScope(c, subjects, scenario)) : undefined;
  if (limited) return { persons, counters: [{ counter: limited, persons: all }] };
  const counters: CounterPlan[] = [{ counter: domain.general, persons: all }];
  if (sensitive.size > 0) counters.push({ counter: domain.sensitive, persons: [...sensitive] });
  return { persons, counters };
}

function inScope(c: Counter, subjects: Subjects, scenario: string): boolean {
  if (!c.scope || !c.scope.scenarios.has(scenario)) return false;
  for (const item of subjects.dataItems) if (!c.scope.dataItems.has(item)) return false;
  return true;
}

/**
 * The persons of a body inspected in batches (parse/stream.ts), kept compactly: each distinct
 * 16-byte key once (a Map from its latin1 string to a sensitivity flag, about 100 bytes per distinct
 * person), the data items and counts. `subjects()` gives a Subjects value planCount reads exactly
 * as it reads an in-memory body's: the same distinct persons, the same sensitive ones.
 */
export class PersonTally {
  private readonly keys = new Map<string, { basis: Subject['basis']; sensitive: boolean }>();
  private readonly items = new Set<string>();
  private occurrences = 0;
  private records = 0;

  add(batch: Subjects): void {
    for (const s of batch.subjects) {
      const k = s.key.toString('latin1');
      const seen = this.keys.get(k);
      if (!seen) this.keys.set(k, { basis: s.basis, sensitive: s.sensitive });
      else if (s.sensitive) seen.sensitive = true;
    }
    for (const d of batch.dataItems) this.items.add(d);
    this.occurrences += batch.subjects.length;
    this.records += batch.recordCount;
  }

  subjects(indicators: Subjects['indicators']): Subjects {
    const subjects: Subject[] = [];
    for (const [k, v] of this.keys) subjects.push({ key: Buffer.from(k, 'latin1'), basis: v.basis, dataItems: [], sensitive: v.sensitive });
    return { subjects, dataItems: [...this.items].sort(), indicators, recordCount: this.records, subjectCount: this.occurrences };
  }
}
