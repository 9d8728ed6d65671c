/**
 * What a period of evidence says, as one plain JSON value: transfers by decision and reason,
 * distinct persons per counter, recipients, countries, routes, scenarios, data items, refusals,
 * upstream outcomes, policy revisions, and per filing its declared side against what was observed,
 * with every inconsistency (一致性抽验: Fujian FTZ measures Art. 16) and the transfers that show it.
 *
 * `summarize()` is pure (no clock, no files, no calendar): `evidence export` writes its result as
 * `summary.json`, `evidence verify` recomputes it from the bundled records and must get the same
 * value, and `report --half` renders it. Persons appear only as counts, never as keys.
 */
import { restorable } from '../count/rebuild.js';
import type { RawFiling } from '../config/schema.js';
import type { EvidenceObject, TransferObject } from './codec.js';

/**
 * The summary's format. `evidence verify` recomputes a bundle's summary.json with this code, so a
 * change to what summarize() returns for the same records is a new format, and verify must go on
 * recomputing bundles of the old one the old way.
 */
export const SUMMARY_FORMAT = 'xborder-summary/2';

/** Formats `evidence verify` can still recompute: format 1 is format 2 without directions (before pull mode). */
export const SUMMARY_FORMATS = ['xborder-summary/1', SUMMARY_FORMAT] as const;

/**
 * A summary as format 1 computed it: no `directions`, and route rows not split by direction
 * (rows that differ only in it are added up, in format 2's order).
 */
export function asFormat1(s: Summary): Record<string, unknown> {
  const { directions: _directions, routes, ...rest } = s;
  const merged = new Map<string, Omit<Summary['routes'][number], 'direction'>>();
  for (const { direction: _d, ...row } of routes) {
    const key = [row.route, row.domain, row.scenario, row.recipient].join('\0');
    const seen = merged.get(key);
    if (!seen) merged.set(key, { ...row });
    else for (const k of ['transfers', 'allow', 'flag', 'block'] as const) seen[k] += row[k];
  }
  return { ...rest, format: 'xborder-summary/1', routes: [...merged.values()] };
}

/** A period of whole China-time days, `from` and `to` included (`YYYY-MM-DD`). */
export interface Period {
  readonly from: string;
  readonly to: string;
}

/** One record of a chain run, with its frame's hash (hex): summarize() reads runs in chain order. */
export interface SummaryRecord {
  readonly chain: string;
  readonly hash: string;
  readonly record: EvidenceObject;
}

export interface TransferRef {
  transferId: string;
  /** The record's time, China time (`2026-06-15T10:00:00.000+08:00`). */
  time: string;
  chain: string;
  seq: number;
}

export type InconsistencyKind = 'undeclared-scenario' | 'undeclared-data-item' | 'undeclared-recipient' | 'volume-over-declared';

export interface Inconsistency {
  kind: InconsistencyKind;
  /** The scenario, data item, recipient or counter observed beyond the declaration. */
  subject: string;
  /** What the filing declared for that line (a list joined by `, `, or the maximum persons). */
  declared: string;
  /** What was observed (the recipient's country, the highest count on the counter). */
  observed: string;
  transfers: TransferRef[];
}

export type Validity = 'valid' | 'expiring' | 'expired' | 'not-yet-effective';

export interface FilingSummary {
  id: string;
  kind: RawFiling['kind'];
  covers: RawFiling['covers'];
  effective: string;
  expires: string;
  filedOn: string | null;
  validity: {
    status: Validity;
    /** The days of the period the filing was valid on (null: none). */
    validFrom: string | null;
    validTo: string | null;
  };
  declared: { scenarios: string[] | null; dataItems: string[] | null; recipients: string[] | null; maxPersons: number | null } | null;
  observed: {
    /** Transfers whose record names this filing as covering a rule that fired. */
    transfers: number;
    firstTime: string | null;
    lastTime: string | null;
    scenarios: string[];
    dataItems: string[];
    recipients: { recipient: string; country: string }[];
    /** Highest value, after an admitted transfer, of a counter whose rule this filing covered. */
    persons: number;
    personsCounter: string | null;
  };
  inconsistencies: Inconsistency[];
}

export interface ChainRun {
  gatewayId: string;
  firstSeq: number;
  /** prev_hash of the first record of the run (hex): the hash of the record before it. */
  prevHash: string;
  lastSeq: number;
  /** Hash of the run's last frame (hex). */
  headHash: string;
  records: number;
}

export interface Summary {
  format: string;
  period: { from: string; to: string; timeZone: string; start: string; end: string };
  chains: ChainRun[];
  records: { total: number; byKind: Record<string, number> };
  transfers: {
    total: number;
    byKind: Record<string, number>;
    byDecision: { allow: number; flag: number; block: number };
    byReason: { decision: string; reason: string; transfers: number }[];
    enforceWouldBlock: number;
    /** Transfers not refused (forwarded, or already sent for a backfill): their records and bytes. */
    sent: { transfers: number; records: number; bytes: number };
  };
  persons: { year: number; counter: string; persons: number }[];
  personsByYear: { year: number; persons: number }[];
  recipients: { recipient: string; country: string; transfers: number; blocked: number; persons: number }[];
  countries: { country: string; transfers: number; persons: number }[];
  /** direction: push, pull (a response an overseas caller pulled) or backfill; empty in old records reads push. */
  routes: { route: string; direction: string; domain: string; scenario: string; recipient: string; transfers: number; allow: number; flag: number; block: number }[];
  /** Transfers and the persons that left, by direction: pushes, pulls (national rules: a query or download from abroad is export too), backfills. */
  directions: { direction: string; transfers: number; blocked: number; persons: number }[];
  scenarios: { scenario: string; transfers: number }[];
  dataItems: { dataItem: string; transfers: number; sent: number }[];
  blocked: { total: number; byReason: { reason: string; transfers: number }[] };
  flagged: { total: number; byReason: { reason: string; transfers: number }[] };
  notices: { code: string; transfers: number }[];
  upstream: { status: number; errorCode: string; outcomes: number }[];
  policyRevisions: { revision: string; records: number }[];
  events: { kind: string; time: string; chain: string; seq: number; policyRevision: string; detail: string }[];
  filings: FilingSummary[];
}

const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3600 * 1000;
/**
 * A filing valid at the end of the period but expiring within this many calendar days after it is
 * `expiring`: about the last 60 PRC working days before expiry, when an extension is applied for
 * (CAC Order 16 Art. 9; Fujian FTZ measures Art. 13). Calendar days, not working days, so the
 * summary does not depend on the holiday calendar a build carries (verify recomputes it).
 */
export const EXPIRING_WITHIN_DAYS = 90;

/** Start (inclusive) and end (exclusive) of a period in Unix ms: 00:00 China time of `from`, of the day after `to`. */
export function periodBounds(p: Period): { startMs: number; endMs: number } {
  return { startMs: Date.parse(`${p.from}T00:00:00+08:00`), endMs: Date.parse(`${p.to}T00:00:00+08:00`) + DAY_MS };
}

/** A time as China time ISO 8601, `2026-06-15T10:00:00.000+08:00`. */
export const chinaIso = (ms: number): string => `${new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 23)}+08:00`;

/** Is `day` a real calendar day written `YYYY-MM-DD`? */
export const isDay = (day: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(day) && new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) === day;

/** `2026H1` → 1 January to 30 June 2026; `2026H2` → 1 July to 31 December (China time). */
export function halfYear(half: string): Period | undefined {
  const m = /^(\d{4})H([12])$/.exec(half);
  if (!m) return undefined;
  return m[2] === '1' ? { from: `${m[1]}-01-01`, to: `${m[1]}-06-30` } : { from: `${m[1]}-07-01`, to: `${m[1]}-12-31` };
}

const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** A filing's validity over a period (calendar days only; see EXPIRING_WITHIN_DAYS). */
export function validity(f: Pick<RawFiling, 'effective' | 'expires'>, p: Period): FilingSummary['validity'] {
  const validFrom = f.effective > p.from ? f.effective : p.from;
  const validTo = f.expires < p.to ? f.expires : p.to;
  const overlap = validFrom <= validTo;
  const status: Validity =
    f.effective > p.to ? 'not-yet-effective' : f.expires < p.to ? 'expired' : f.expires <= addDays(p.to, EXPIRING_WITHIN_DAYS) ? 'expiring' : 'valid';
  return { status, validFrom: overlap ? validFrom : null, validTo: overlap ? validTo : null };
}

/**
 * Summarize the records of chain runs over a period for the given filings. `records` are whole
 * runs in chain order (records outside the period inside a run are kept for the chain links and
 * ignored for the totals). Deterministic: every list is sorted, nothing depends on the clock.
 */
export function summarize(records: readonly SummaryRecord[], filings: readonly RawFiling[], period: Period): Summary {
  const { startMs, endMs } = periodBounds(period);
  const chains = new Map<string, ChainRun>();
  const inPeriod: SummaryRecord[] = [];
  for (const r of records) {
    const run = chains.get(r.chain);
    if (!run)
      chains.set(r.chain, { gatewayId: r.chain, firstSeq: r.record.seq, prevHash: r.record.prevHash.toString('hex'), lastSeq: r.record.seq, headHash: r.hash, records: 1 });
    else Object.assign(run, { lastSeq: r.record.seq, headHash: r.hash, records: run.records + 1 });
    if (r.record.timeMs >= startMs && r.record.timeMs < endMs) inPeriod.push(r);
  }

  const byKind = new Counts();
  const transferKinds = new Counts();
  const byDecision = { allow: 0, flag: 0, block: 0 };
  const byReason = new Counts();
  const blocked = new Counts();
  const flagged = new Counts();
  const notices = new Counts();
  const upstream = new Counts();
  const revisions = new Counts();
  const scenarios = new Counts();
  const items = new Counts();
  const itemsSent = new Counts();
  const sent = { transfers: 0, records: 0, bytes: 0 };
  let transfers = 0;
  let wouldBlock = 0;
  const persons = new Sets();
  const personsByYear = new Sets();
  const recipients = new Map<string, { recipient: string; country: string; transfers: number; blocked: number; persons: Set<string> }>();
  const countries = new Map<string, { country: string; transfers: number; persons: Set<string> }>();
  const routes = new Map<string, Summary['routes'][number]>();
  const directions = new Map<string, { direction: string; transfers: number; blocked: number; persons: Set<string> }>();
  const events: Summary['events'] = [];

  for (const { chain, record: r } of inPeriod) {
    byKind.add(r.kind);
    const rev = r.transfer?.policyRevision || r.lifecycle?.policyRevision;
    if (rev) revisions.add(rev);
    if (r.kind === 'OUTCOME' && r.outcome) upstream.add(`${r.outcome.upstreamStatus}\0${r.outcome.errorCode}`);
    if (r.lifecycle && r.kind !== 'TRANSFER' && r.kind !== 'BACKFILL' && r.kind !== 'OUTCOME')
      events.push({ kind: r.kind, time: chinaIso(r.timeMs), chain, seq: r.seq, policyRevision: r.lifecycle.policyRevision, detail: r.lifecycle.detail });
    const t = r.transfer;
    if (!t || (r.kind !== 'TRANSFER' && r.kind !== 'BACKFILL')) continue;
    transfers++;
    transferKinds.add(r.kind);
    const decision = t.decision as keyof typeof byDecision;
    if (decision in byDecision) byDecision[decision]++;
    byReason.add(`${t.decision}\0${t.reason}`);
    if (t.enforceWouldBlock) wouldBlock++;
    if (t.decision === 'block') blocked.add(t.reason);
    if (t.decision === 'flag') flagged.add(t.reason);
    for (const code of new Set(t.notices.map((x) => x.code))) notices.add(code);
    scenarios.add(t.scenario);
    for (const item of new Set(t.dataItems)) {
      items.add(item);
      if (t.decision !== 'block') itemsSent.add(item);
    }
    if (t.decision !== 'block') {
      sent.transfers++;
      sent.records += t.recordCount;
      sent.bytes += t.bodySize;
    }
    const rcpKey = `${t.recipient}\0${t.recipientCountry}`;
    const rcp = recipients.get(rcpKey) ?? { recipient: t.recipient, country: t.recipientCountry, transfers: 0, blocked: 0, persons: new Set<string>() };
    recipients.set(rcpKey, rcp);
    rcp.transfers++;
    if (t.decision === 'block') rcp.blocked++;
    const ctry = countries.get(t.recipientCountry) ?? { country: t.recipientCountry, transfers: 0, persons: new Set<string>() };
    countries.set(t.recipientCountry, ctry);
    ctry.transfers++;
    // A route whose recipient or scenario a reload changed shows once per version of it.
    const direction = t.direction || 'push';
    const dir = directions.get(direction) ?? { direction, transfers: 0, blocked: 0, persons: new Set<string>() };
    directions.set(direction, dir);
    dir.transfers++;
    if (t.decision === 'block') dir.blocked++;
    const routeKey = [t.route, direction, t.list, t.domain, t.scenario, t.recipient].join('\0');
    const route = routes.get(routeKey) ?? { route: t.route, direction, domain: `${t.list}/${t.domain}`, scenario: t.scenario, recipient: t.recipient, transfers: 0, allow: 0, flag: 0, block: 0 };
    routes.set(routeKey, route);
    route.transfers++;
    if (decision in byDecision) route[decision]++;
    // Persons that left: admitted, or forwarded uncounted while the store was down (the persons
    // `counts rebuild` restores). A refused transfer sent nobody.
    if (restorable(r)) {
      const keys = t.persons.map((p) => p.toString('hex'));
      for (const k of keys) {
        personsByYear.add(String(t.year), k);
        rcp.persons.add(k);
        dir.persons.add(k);
        ctry.persons.add(k);
      }
      for (const d of t.counters) for (const i of d.persons) if (keys[i] !== undefined) persons.add(`${t.year}\0${d.counter}`, keys[i]);
    }
  }

  return {
    format: SUMMARY_FORMAT,
    period: { from: period.from, to: period.to, timeZone: 'China time (UTC+08:00)', start: chinaIso(startMs), end: chinaIso(endMs) },
    chains: [...chains.values()].sort((a, b) => cmp(a.gatewayId, b.gatewayId)),
    records: { total: inPeriod.length, byKind: byKind.object() },
    transfers: {
      total: transfers,
      byKind: transferKinds.object(),
      byDecision,
      byReason: byReason.rows().map(([k, n]) => {
        const [decision = '', reason = ''] = k.split('\0');
        return { decision, reason, transfers: n };
      }),
      enforceWouldBlock: wouldBlock,
      sent,
    },
    persons: persons.rows().map(([k, n]) => {
      const [year = '0', counter = ''] = k.split('\0');
      return { year: Number(year), counter, persons: n };
    }),
    personsByYear: personsByYear.rows().map(([year, n]) => ({ year: Number(year), persons: n })),
    recipients: [...recipients.values()]
      .map(({ persons: p, ...rest }) => ({ ...rest, persons: p.size }))
      .sort((a, b) => cmp(a.recipient, b.recipient) || cmp(a.country, b.country)),
    countries: [...countries.values()].map(({ persons: p, ...rest }) => ({ ...rest, persons: p.size })).sort((a, b) => cmp(a.country, b.country)),
    routes: [...routes.values()].sort((a, b) => cmp(a.route, b.route) || cmp(a.domain, b.domain) || cmp(a.scenario, b.scenario) || cmp(a.recipient, b.recipient)),
    directions: [...directions.values()].map(({ persons: p, ...rest }) => ({ ...rest, persons: p.size })).sort((a, b) => cmp(a.direction, b.direction)),
    scenarios: scenarios.rows().map(([scenario, n]) => ({ scenario, transfers: n })),
    dataItems: items.rows().map(([dataItem, n]) => ({ dataItem, transfers: n, sent: itemsSent.get(dataItem) })),
    blocked: { total: byDecision.block, byReason: blocked.rows().map(([reason, n]) => ({ reason, transfers: n })) },
    flagged: { total: byDecision.flag, byReason: flagged.rows().map(([reason, n]) => ({ reason, transfers: n })) },
    notices: notices.rows().map(([code, n]) => ({ code, transfers: n })),
    upstream: upstream.rows().map(([k, n]) => {
      const [status = '0', errorCode = ''] = k.split('\0');
      return { status: Number(status), errorCode, outcomes: n };
    }),
    policyRevisions: revisions.rows().map(([revision, n]) => ({ revision, records: n })),
    events: events.sort((a, b) => cmp(a.time, b.time) || cmp(a.chain, b.chain) || a.seq - b.seq),
    filings: [...filings].sort((a, b) => cmp(a.id, b.id)).map((f) => filingSummary(f, inPeriod, period)),
  };
}

/** One filing: declared against what the transfers it covered in the period show. */
function filingSummary(f: RawFiling, records: readonly SummaryRecord[], period: Period): FilingSummary {
  const under = records.filter(({ record: r }) => (r.kind === 'TRANSFER' || r.kind === 'BACKFILL') && r.transfer?.filings.includes(f.id));
  const ref = ({ chain, record: r }: SummaryRecord): TransferRef => ({ transferId: r.transferId, time: chinaIso(r.timeMs), chain, seq: r.seq });
  const scenarios = new Set<string>();
  const items = new Set<string>();
  const recipients = new Map<string, { recipient: string; country: string }>();
  let persons = 0;
  let personsCounter: string | null = null;
  /** Per transfer, per counter its rule covered by this filing: the counter's value after it. */
  const volumes: { r: SummaryRecord; counter: string; value: number }[] = [];
  for (const sr of under) {
    const t = sr.record.transfer as TransferObject;
    scenarios.add(t.scenario);
    for (const i of t.dataItems) items.add(i);
    recipients.set(`${t.recipient}\0${t.recipientCountry}`, { recipient: t.recipient, country: t.recipientCountry });
    if (!t.admitted) continue;
    for (const counter of new Set(t.rules.filter((c) => c['filing'] === f.id && typeof c['counter'] === 'string' && c['counter'] !== '').map((c) => c['counter'] as string))) {
      const delta = t.counters.find((d) => d.counter === counter);
      const cited = t.rules.find((c) => c['filing'] === f.id && c['counter'] === counter) ?? {};
      const value = delta && !delta.estimated ? delta.after : Number(cited['before'] ?? 0) + Number(cited['added'] ?? 0);
      volumes.push({ r: sr, counter, value });
      if (value > persons || (value === persons && personsCounter !== null && counter < personsCounter)) [persons, personsCounter] = [value, counter];
    }
  }

  const d = f.declared;
  const out: Inconsistency[] = [];
  if (d) {
    const list = (v: readonly string[]) => v.join(', ');
    const beyond = (kind: InconsistencyKind, declared: readonly string[] | undefined, of: (t: TransferObject) => readonly { subject: string; observed: string }[]) => {
      if (!declared) return;
      const found = new Map<string, Inconsistency>();
      for (const sr of under) {
        for (const o of of(sr.record.transfer as TransferObject)) {
          if (declared.includes(o.subject)) continue;
          const x = found.get(o.subject) ?? { kind, subject: o.subject, declared: list(declared), observed: o.observed, transfers: [] };
          found.set(o.subject, x);
          if (!x.transfers.some((y) => y.chain === sr.chain && y.seq === sr.record.seq)) x.transfers.push(ref(sr));
        }
      }
      out.push(...found.values());
    };
    beyond('undeclared-scenario', d.scenarios, (t) => [{ subject: t.scenario, observed: t.scenario }]);
    beyond('undeclared-data-item', d.dataItems, (t) => t.dataItems.map((i) => ({ subject: i, observed: i })));
    beyond('undeclared-recipient', d.recipients, (t) => [{ subject: t.recipient, observed: t.recipientCountry }]);
    if (d.maxPersons !== undefined) {
      const max = d.maxPersons;
      const over = new Map<string, Inconsistency & { peak: number }>();
      for (const v of volumes.filter((x) => x.value > max)) {
        const x = over.get(v.counter) ?? { kind: 'volume-over-declared', subject: v.counter, declared: String(max), observed: '', transfers: [], peak: 0 };
        over.set(v.counter, x);
        x.peak = Math.max(x.peak, v.value);
        x.transfers.push(ref(v.r));
      }
      out.push(...[...over.values()].map(({ peak, ...x }) => ({ ...x, observed: String(peak) })));
    }
  }
  for (const x of out) x.transfers.sort(byRef);
  out.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || cmp(a.subject, b.subject));

  const times = under.map((r) => r.record.timeMs);
  return {
    id: f.id,
    kind: f.kind,
    covers: f.covers,
    effective: f.effective,
    expires: f.expires,
    filedOn: f.filedOn ?? null,
    validity: validity(f, period),
    declared: d
      ? { scenarios: d.scenarios ?? null, dataItems: d.dataItems ?? null, recipients: d.recipients ?? null, maxPersons: d.maxPersons ?? null }
      : null,
    observed: {
      transfers: under.length,
      firstTime: times.length > 0 ? chinaIso(Math.min(...times)) : null,
      lastTime: times.length > 0 ? chinaIso(Math.max(...times)) : null,
      scenarios: [...scenarios].sort(cmp),
      dataItems: [...items].sort(cmp),
      recipients: [...recipients.values()].sort((a, b) => cmp(a.recipient, b.recipient) || cmp(a.country, b.country)),
      persons,
      personsCounter,
    },
    inconsistencies: out,
  };
}

const KIND_ORDER: readonly InconsistencyKind[] = ['undeclared-scenario', 'undeclared-data-item', 'undeclared-recipient', 'volume-over-declared'];

/** Code-unit order, the same on every machine (never localeCompare). */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byRef = (a: TransferRef, b: TransferRef): number => cmp(a.time, b.time) || cmp(a.chain, b.chain) || a.seq - b.seq;

class Counts {
  private readonly m = new Map<string, number>();
  add(k: string): void {
    this.m.set(k, (this.m.get(k) ?? 0) + 1);
  }
  get(k: string): number {
    return this.m.get(k) ?? 0;
  }
  rows(): [string, number][] {
    return [...this.m].sort((a, b) => cmp(a[0], b[0]));
  }
  object(): Record<string, number> {
    return Object.fromEntries(this.rows());
  }
}

class Sets {
  private readonly m = new Map<string, Set<string>>();
  add(k: string, v: string): void {
    let s = this.m.get(k);
    if (!s) this.m.set(k, (s = new Set()));
    s.add(v);
  }
  rows(): [string, number][] {
    return [...this.m].map(([k, s]): [string, number] => [k, s.size]).sort((a, b) => cmp(a[0], b[0]));
  }
}
