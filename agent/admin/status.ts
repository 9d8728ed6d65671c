/**
 * `GET /api/status`: the gateway as ops and the DPO read it. Each counter with its exact and
 * estimated persons, thresholds and covering filings (counter-status.ts), the last 30 days' new
 * persons and the projected dates of its next thresholds (projections.ts); the emergency stop; the
 * filings expiring within 90 days; mode, policy revision and evidence head.
 */
import { chinaDay, chinaYear, type Clock } from '../clock.js';
import type { EmergencyState } from '../control/emergency.js';
import type { ReplicaView } from '../control/replicas.js';
import type { Filing } from '../decide/filings.js';
import { estimates } from '../count/sketches.js';
import { sketchName, type CounterStore } from '../count/store/types.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import { jurisdictionDbInfo } from '../proxy/jurisdiction.js';
import { counterStatus, policyCounters } from './counter-status.js';
import { dailySeries, daysBetween, projectThresholds } from './projections.js';

/** Filings listed as expiring: those whose expiry is at most this many days away. */
export const EXPIRING_WITHIN_DAYS = 90;
/** Days of new persons per counter in the status. */
export const DAILY_DAYS = 30;

export interface StatusSources {
  readonly snapshot: () => PolicySnapshot;
  readonly store: CounterStore;
  readonly clock: Clock;
  readonly gatewayId: string;
  readonly evidenceHead: () => { seq: number; hash: Buffer };
  readonly emergency: () => EmergencyState;
  /** The replicas sharing the store and their policy revisions (control/replicas.ts); absent: null in the status. */
  readonly replicas?: () => Promise<ReplicaView>;
}

export async function buildStatus(s: StatusSources) {
  const snapshot = s.snapshot();
  const now = s.clock.now();
  const year = chinaYear(now);
  const day = chinaDay(now);
  const exact = await s.store.counts(year);
  const all = [...policyCounters(snapshot).values()];
  const estimated = await estimates(s.store, year, all.map((c) => sketchName.counter(c.ref)));
  const daily = await Promise.all(all.map((c) => s.store.daily(year, c.ref)));
  const counters = all.map((c, i) => {
    const status = counterStatus(c, exact.get(c.ref) ?? 0, snapshot, day);
    const series = daily[i] ?? new Map<string, number>();
    return {
      ...status,
      /** Configured routes that count on it (a counter with no persons yet still shows). */
      routes: [...snapshot.routes.values()].filter((r) => r.counters.has(c.ref)).map((r) => r.id),
      estimated: estimated.get(sketchName.counter(c.ref)) ?? 0,
      projections: projectThresholds(status.exact, status.thresholds, series, day),
      daily: dailySeries(series, day, DAILY_DAYS),
    };
  });
  const head = s.evidenceHead();
  const replicas = s.replicas ? await s.replicas() : null;
  return {
    gatewayId: s.gatewayId,
    mode: snapshot.mode,
    year,
    policy: { revision: snapshot.policy.revision, packs: snapshot.policy.packs },
    evidence: { headSeq: head.seq, headHash: head.hash.toString('hex') },
    emergency: s.emergency(),
    replicas,
    filingsExpiring: filingsExpiring(snapshot.filings, day),
    counters,
    /** The offline IP-to-country data forward-proxy mode locates unrouted hosts with (docs/proxy.md). */
    jurisdictionDb: jurisdictionDbInfo(),
  };
}

export type Status = Awaited<ReturnType<typeof buildStatus>>;

/** Filings whose expiry is within `within` days of `today` (0: expires today), soonest first. */
export function filingsExpiring(filings: readonly Filing[], today: string, within = EXPIRING_WITHIN_DAYS) {
  return filings
    .map((f) => ({ id: f.id, kind: f.kind, expires: f.expires, daysLeft: daysBetween(today, f.expires) }))
    .filter((f) => f.daysLeft >= 0 && f.daysLeft <= within)
    .sort((a, b) => a.daysLeft - b.daysLeft || a.id.localeCompare(b.id));
}
