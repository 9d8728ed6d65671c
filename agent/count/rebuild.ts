/**
 * `xborder counts rebuild`: evidence → counters. The evidence log is the source of truth and the
 * counters an index of it (DESIGN, count), so after a store loss the exact sets, their sketches and
 * the dashboards' unions are restored from the person keys the records hold.
 * In: evidence folders (every chain under each: a gateway's, its replicas' copies, backfills), the
 * configured identity key's fingerprint, the store.
 * Out: per year and counter, the store's exact count after the rebuild and the persons evidence names.
 * Never: rebuild from a chain that does not verify, or from persons keyed under another key: either
 * would leave persons out (an under-count) while looking complete.
 */
import { chinaDay } from '../clock.js';
import { XbError } from '../errors.js';
import { countedPersons, readRecords } from '../record/read.js';
import type { EvidenceObject } from '../record/codec.js';
import { verifyFolders } from '../record/verify.js';
import { sketchName, type CounterStore } from './store/types.js';

/** Members per check-and-add call (about 800 KB of keys): big enough to be fast, small enough for one Redis script. */
export const REBUILD_BATCH_MEMBERS = 50_000;

export interface RebuildOptions {
  /** Evidence folders, each holding one sub-folder per chain. */
  readonly dirs: readonly string[];
  /** The configured identity key's fingerprint: the year pin, and what every START must name. */
  readonly keyFingerprint: string;
  /** Only this counting year; default every year the evidence counts persons in. */
  readonly year?: number | undefined;
  /** Default REBUILD_BATCH_MEMBERS. */
  readonly batchMembers?: number;
}

export interface RebuiltCounter {
  readonly counter: string;
  /** Exact persons in the store after the rebuild. */
  readonly exact: number;
  /** Distinct persons the evidence places on the counter. */
  readonly evidence: number;
  /** Persons the rebuild added (the store did not hold them). */
  readonly added: number;
}

export interface RebuiltYear {
  readonly year: number;
  /** Records whose persons were restored. */
  readonly records: number;
  readonly counters: readonly RebuiltCounter[];
}

export interface RebuildResult {
  readonly chains: readonly { readonly dir: string; readonly chain: string; readonly records: number }[];
  readonly years: readonly RebuiltYear[];
}

/**
 * Persons a record counted, or that left uncounted: an admitted TRANSFER or BACKFILL, and a
 * TRANSFER forwarded while the store was down on a fail-open route (recorded for this rebuild).
 */
export function restorable(r: EvidenceObject): boolean {
  const t = r.transfer;
  if (!t || t.persons.length === 0 || t.year === 0) return false;
  if (countedPersons(r)) return true;
  return r.kind === 'TRANSFER' && t.decision !== 'block' && t.reason === 'store-unavailable';
}

/** Verify every chain, check the key, then add every restorable record's persons (idempotent: sets). */
export async function rebuildCounts(store: CounterStore, opts: RebuildOptions): Promise<RebuildResult> {
  const chains = verifyAll(opts.dirs);
  checkKeys(opts);
  const limit = opts.batchMembers ?? REBUILD_BATCH_MEMBERS;
  const years = new Map<number, { records: number; evidence: Map<string, Set<string>>; added: Map<string, number> }>();
  let batch: Batch | undefined;

  const flush = async (): Promise<void> => {
    if (!batch) return;
    const b = batch;
    batch = undefined;
    const entries = [...b.members].map(([counter, m]) => ({ counter, members: [...m.values()], blocked: [] }));
    // No blocked range: the persons already left; expectCounted off: the year may be gone entirely;
    // no pin: gateways waiting on XB_STORE_LOST must not resume on partial counts.
    const result = await store.checkAndAdd(b.year, opts.keyFingerprint, entries, { expectCounted: false, unions: b.unions, pin: false, day: b.day });
    const added = yearOf(b.year).added;
    for (const d of result.counters) added.set(d.counter, (added.get(d.counter) ?? 0) + d.added);
  };
  const yearOf = (year: number) => {
    let y = years.get(year);
    if (!y) years.set(year, (y = { records: 0, evidence: new Map(), added: new Map() }));
    return y;
  };

  for (const dir of opts.dirs) {
    for (const { record } of readRecords(dir)) {
      const t = record.transfer;
      if (!t || !restorable(record) || (opts.year !== undefined && t.year !== opts.year)) continue;
      // The month of the unions is the transfer's own, in China time, as the data plane names it.
      const day = chinaDay(new Date(record.timeMs));
      const month = day.slice(0, 7);
      const key = `${t.year}\0${t.route}\0${t.recipient}\0${day}`;
      if (batch && batch.key !== key) await flush();
      const y = yearOf(t.year);
      y.records++;
      for (const delta of t.counters) {
        const seen = y.evidence.get(delta.counter) ?? new Set<string>();
        y.evidence.set(delta.counter, seen);
        for (const i of delta.persons) {
          const person = t.persons[i];
          if (!person) throw new XbError('XB_EVIDENCE_CHAIN_BROKEN', `${record.gatewayId} seq ${record.seq}: counter ${delta.counter} names person ${i} of ${t.persons.length}`);
          const id = person.toString('latin1');
          seen.add(id);
          batch ??= {
            key,
            year: t.year,
            day,
            unions: [sketchName.route(t.route, month), sketchName.recipient(t.recipient, month)],
            members: new Map(),
            size: 0,
          };
          const on = batch.members.get(delta.counter) ?? new Map<string, Buffer>();
          batch.members.set(delta.counter, on);
          if (!on.has(id)) {
            on.set(id, person);
            batch.size++;
          }
          // Sets make a split transfer the same as a whole one.
          if (batch.size >= limit) await flush();
        }
      }
    }
  }
  await flush();
  // Every person is back: now pin each year's key, and the gateways go on counting.
  for (const year of years.keys()) await store.checkAndAdd(year, opts.keyFingerprint, [], { expectCounted: false, unions: [], pin: true });

  const out: RebuiltYear[] = [];
  for (const [year, y] of [...years].sort((a, b) => a[0] - b[0])) {
    const exact = await store.counts(year);
    const names = [...new Set([...y.evidence.keys(), ...exact.keys()])].sort();
    out.push({
      year,
      records: y.records,
      counters: names.map((counter) => ({ counter, exact: exact.get(counter) ?? 0, evidence: y.evidence.get(counter)?.size ?? 0, added: y.added.get(counter) ?? 0 })),
    });
  }
  return { chains, years: out };
}

interface Batch {
  /** Year, route, recipient, day: consecutive records sharing it go into one call. */
  readonly key: string;
  readonly year: number;
  /** China-time day of the records: the counters' daily series. */
  readonly day: string;
  readonly unions: readonly string[];
  /** Counter → its members, de-duplicated by key bytes. */
  readonly members: Map<string, Map<string, Buffer>>;
  size: number;
}

/** Every chain under every folder must verify: a rebuild that skipped records would under-count. */
function verifyAll(dirs: readonly string[]): RebuildResult['chains'] {
  // A running gateway may be writing its last frame now: while the store is lost, such a frame
  // is a refusal (nothing admitted), so reading up to it loses no counted person.
  const { chains: reports, errors } = verifyFolders(dirs);
  const chains = reports.map((c) => ({ dir: c.dir, chain: c.gatewayId, records: c.records }));
  if (errors.length > 0) {
    const shown = errors.slice(0, 20).join('\n  ');
    throw new XbError(
      'XB_EVIDENCE_CHAIN_BROKEN',
      `counts not rebuilt: the evidence does not verify, and a rebuild without the records it cannot read would under-count:\n  ${shown}${errors.length > 20 ? `\n  … and ${errors.length - 20} more` : ''}`,
      { errors: errors.length },
    );
  }
  return chains;
}

/**
 * Every record to restore must have been keyed under the configured key: the START before it in
 * its chain names the key's fingerprint (an empty one, from before fingerprints were recorded, is
 * taken on trust; the store's year pin still checks). Persons keyed under another key cannot be
 * re-keyed, and counting them beside this key's would count one person twice and others not at all.
 */
function checkKeys(opts: RebuildOptions): void {
  const wrong = new Map<string, { fingerprint: string; records: number; years: Set<number> }>();
  for (const dir of opts.dirs) {
    let chain = '';
    let current = '';
    for (const { chain: name, record } of readRecords(dir)) {
      if (name !== chain) [chain, current] = [name, ''];
      if (record.kind === 'START') current = record.lifecycle?.keyFingerprint ?? '';
      const t = record.transfer;
      if (!t || current === '' || current === opts.keyFingerprint || !restorable(record) || (opts.year !== undefined && t.year !== opts.year)) continue;
      const id = `${dir}/${chain}`;
      const w = wrong.get(id) ?? { fingerprint: current, records: 0, years: new Set<number>() };
      w.records++;
      w.years.add(t.year);
      wrong.set(id, w);
    }
  }
  if (wrong.size === 0) return;
  const lines = [...wrong].map(([id, w]) => `${id}: ${w.records} records of ${[...w.years].sort().join(', ')} under key ${w.fingerprint.slice(0, 12)}…`);
  throw new XbError(
    'XB_STORE_KEY_MISMATCH',
    `counts not rebuilt: evidence counted under another identity key than the configured one (${opts.keyFingerprint.slice(0, 12)}…); persons cannot be re-keyed. ` +
      `Configure the key those records were counted with${opts.year === undefined ? ', or rebuild one year at a time with --year' : ''}:\n  ${lines.join('\n  ')}`,
  );
}
