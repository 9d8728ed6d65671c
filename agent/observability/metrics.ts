/**
 * Every Prometheus metric of the gateway, declared here with its help text (docs/admin.md lists
 * them; deploy/ dashboards are written against these names: keep them). One registry per gateway,
 * never prom-client's global one (tests run several gateways in one process).
 * Labels are bounded: route, decision, reason, counter, stage, code, filing — names from the config,
 * the policy or the error catalogue, never a person, a value or a transfer id.
 * Fed two ways: a TransferObserver on the transfer's path (synchronous, a few increments, label
 * children cached), and collectors at scrape time (counter values read from the store at most every
 * `refreshMs`, never once per transfer).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { chinaDay, chinaYear, type Clock } from '../clock.js';
import { daysBetween } from '../admin/projections.js';
import { counterStatus, policyCounters } from '../admin/counter-status.js';
import type { ReplicaView } from '../control/replicas.js';
import type { CounterStore } from '../count/store/types.js';
import { isXbError } from '../errors.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import type { EvidenceHealth } from './evidence-health.js';
import type { TransferEvent, TransferObserver } from './events.js';

/** The stages timed in the decision line's `ms`, as `xborder_stage_seconds{stage}` reports them. */
export const STAGES = ['parse', 'classify', 'identify', 'count', 'decide', 'record', 'forward'] as const;

/** Default minimum time between two reads of the counters from the store at scrape time, ms. */
export const COUNTER_REFRESH_MS = 5_000;

/** What the scrape-time collectors read. */
export interface MetricsSources {
  readonly store: Pick<CounterStore, 'counts'>;
  readonly snapshot: () => PolicySnapshot;
  readonly clock: Clock;
  readonly evidence: { head(): { seq: number } } & Pick<EvidenceHealth, 'lastAppendMs'>;
  readonly emergency: () => { readonly stopped: boolean };
  /** The replicas sharing the store (control/replicas.ts; read at most every second). */
  readonly replicas?: () => Promise<ReplicaView>;
  /** Minimum time between two reads of the store's counts, ms (default COUNTER_REFRESH_MS). */
  readonly refreshMs?: number;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Counts every decided transfer: by route, decision and reason; bytes; persons added; stage times. */
  readonly observer: TransferObserver;
  /** `store`, with every failed call counted in `xborder_store_errors_total{code}`. */
  watchStore<T extends object>(store: T): T;
  /** Attach the scrape-time sources (gauges report nothing before). */
  collectFrom(sources: MetricsSources): void;
  /** Forward-proxy mode (agent/proxy/): what each proxied request or tunnel became, and each refusal. */
  readonly proxy: ProxyMetrics;
}

export interface ProxyMetrics {
  /** via: absolute (plain http), connect, intercepted (inside a CONNECT); outcome: inspected, relayed, passthrough, tunnel, refused. */
  handled(via: 'absolute' | 'connect' | 'intercepted', outcome: 'inspected' | 'relayed' | 'passthrough' | 'tunnel' | 'refused'): void;
  /** A refusal by code and the host's jurisdiction (mainland, cross-border, internal, unknown, routed). */
  refused(code: string, jurisdiction: string): void;
}

/** A fresh registry with every xborder metric and the process metrics (prefix `xborder_`). */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  let sources: MetricsSources | undefined;

  const transfers = new Counter({
    name: 'xborder_transfers_total',
    help: 'Decided transfers, by route, decision (allow, flag, block) and reason (within-thresholds, threshold-uncovered, uninspectable, store-unavailable, emergency-stop, …).',
    labelNames: ['route', 'decision', 'reason'] as const,
    registers,
  });
  const bytes = new Counter({
    name: 'xborder_transfer_bytes_total',
    help: 'Body bytes of decided transfers (a push\'s request body, a pull\'s upstream response), by route, whatever the decision (bytes received and inspected, not bytes sent).',
    labelNames: ['route'] as const,
    registers,
  });
  const personsAdded = new Counter({
    name: 'xborder_persons_added_total',
    help: 'Persons newly added to a counter by admitted transfers of this gateway since it started (the exact value across gateways is xborder_counter_persons).',
    labelNames: ['counter'] as const,
    registers,
  });
  const stage = new Histogram({
    name: 'xborder_stage_seconds',
    help: 'Time per pipeline stage of a transfer (parse, classify, identify, count, decide, record, forward), from its decision line.',
    labelNames: ['stage'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  // Pulls also count in xborder_transfers_total (a route is push or pull, so its route label says
  // which); this one lets dashboards show pulls without knowing the routes.
  const pulls = new Counter({
    name: 'xborder_pull_transfers_total',
    help: 'Decided pull transfers (responses of pull routes to overseas callers), by route and decision; also counted in xborder_transfers_total.',
    labelNames: ['route', 'decision'] as const,
    registers,
  });
  const storeErrors = new Counter({
    name: 'xborder_store_errors_total',
    help: 'Counter store calls that failed, by error code (XB_STORE_UNAVAILABLE, XB_STORE_LOST, …): transfers, admin reads and readiness probes.',
    labelNames: ['code'] as const,
    registers,
  });

  // Scrape time: the store's exact counts, read at most every refreshMs and shared by both gauges.
  let cached: { at: number; year: number; values: { counter: string; exact: number; utilization: number }[] } | undefined;
  let reading: Promise<typeof cached> | undefined;
  const counterValues = async (): Promise<typeof cached> => {
    if (!sources) return undefined;
    const s = sources;
    const now = s.clock.now();
    const year = chinaYear(now);
    if (cached && cached.year === year && now.getTime() - cached.at < (s.refreshMs ?? COUNTER_REFRESH_MS)) return cached;
    reading ??= (async () => {
      try {
        const exact = await s.store.counts(year);
        const snapshot = s.snapshot();
        const day = chinaDay(now);
        const values = [...policyCounters(snapshot).values()].map((c) => {
          const status = counterStatus(c, exact.get(c.ref) ?? 0, snapshot, day);
          return { counter: c.ref, exact: status.exact, utilization: utilization(status) };
        });
        cached = { at: now.getTime(), year, values };
      } catch {
        // Counted by watchStore; the last values are reported until the store answers again.
      } finally {
        reading = undefined;
      }
      return cached;
    })();
    return reading;
  };

  /** A per-counter gauge filled from the shared scrape-time read of the counters. */
  const counterGauge = (name: string, help: string, value: (c: { exact: number; utilization: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['counter'] as const,
      registers,
      async collect() {
        const v = await counterValues();
        if (!v) return;
        this.reset();
        for (const c of v.values) this.set({ counter: c.counter }, value(c));
      },
    });
  counterGauge(
    'xborder_counter_persons',
    `Exact distinct persons per counter this China-time year, read from the store at scrape time (at most every ${COUNTER_REFRESH_MS / 1000} s).`,
    (c) => c.exact,
  );
  counterGauge(
    'xborder_counter_utilization',
    'Exact persons ÷ the lowest threshold of the counter that applies to the company and no filing covers, reached or not (0 when every threshold is covered; 1 or more: at or past it).',
    (c) => c.utilization,
  );
  new Gauge({
    name: 'xborder_evidence_head_seq',
    help: 'Sequence number of the last record appended to this gateway’s evidence chain.',
    registers,
    collect() {
      if (sources) this.set(sources.evidence.head().seq);
    },
  });
  new Gauge({
    name: 'xborder_evidence_lag_seconds',
    help: 'Seconds since the time of the last record appended to the evidence chain (grows while no transfer is recorded, or when the log has failed).',
    registers,
    collect() {
      const last = sources?.evidence.lastAppendMs();
      if (sources && last !== undefined) this.set(Math.max(0, (sources.clock.now().getTime() - last) / 1000));
    },
  });
  new Gauge({
    name: 'xborder_emergency_stop',
    help: '1 while an emergency stop halts every transfer of this gateway, else 0.',
    registers,
    collect() {
      if (sources) this.set(sources.emergency().stopped ? 1 : 0);
    },
  });
  new Gauge({
    name: 'xborder_filing_expiry_days',
    help: 'Days from today (China time) to the expiry date of each configured filing; negative once expired.',
    labelNames: ['filing'] as const,
    registers,
    collect() {
      if (!sources) return;
      const today = chinaDay(sources.clock.now());
      this.reset();
      for (const f of sources.snapshot().filings) this.set({ filing: f.id }, daysBetween(today, f.expires));
    },
  });

  // Replicas sharing the store, from this gateway's view of the registry (gateway ids and policy revisions: bounded).
  const replicaView = async () => (sources?.replicas ? sources.replicas() : undefined);
  new Gauge({
    name: 'xborder_replicas',
    help: 'Gateway replicas registered in the shared counter store with a heartbeat in the last 30 s, this one included.',
    registers,
    async collect() {
      const v = await replicaView();
      if (v) this.set(v.replicas.length);
    },
  });
  new Gauge({
    name: 'xborder_replica_policy_revisions',
    help: 'Distinct policy revisions the live replicas run: 1 when all agree, more during a rolling update or when a replica was left behind.',
    registers,
    async collect() {
      const v = await replicaView();
      if (v) this.set(v.policyRevisions.length);
    },
  });
  new Gauge({
    name: 'xborder_replica_info',
    help: 'One series per live replica (value 1): its gateway id, policy revision (first 12 hex digits) and version.',
    labelNames: ['gateway', 'policy_revision', 'version'] as const,
    registers,
    async collect() {
      const v = await replicaView();
      if (!v) return;
      this.reset();
      for (const r of v.replicas) this.set({ gateway: r.gatewayId, policy_revision: r.policyRevision.slice(0, 12), version: r.version }, 1);
    },
  });

  const proxyRequests = new Counter({
    name: 'xborder_proxy_requests_total',
    help: 'Forward-proxy requests and CONNECT tunnels, by how they came (absolute, connect, intercepted) and what became of them (inspected, relayed, passthrough, tunnel, refused).',
    labelNames: ['via', 'outcome'] as const,
    registers,
  });
  const proxyRefused = new Counter({
    name: 'xborder_proxy_refused_total',
    help: 'Forward-proxy refusals by error code and the host\'s jurisdiction (cross-border: an unrouted host outside the mainland, e.g. a new integration leaking around the gateway).',
    labelNames: ['code', 'jurisdiction'] as const,
    registers,
  });

  collectDefaultMetrics({ register: registry, prefix: 'xborder_' });

  // The transfer path: label children looked up once per label set, then only increments.
  const transferChildren = new Map<string, { count: Counter.Internal; bytes: Counter.Internal; pull: Counter.Internal | undefined }>();
  const personChildren = new Map<string, Counter.Internal>();
  const stageChildren = new Map(STAGES.map((s) => [s as string, stage.labels({ stage: s })]));

  const observer: TransferObserver = {
    transferDecided(event: TransferEvent) {
      const { line } = event;
      const { decision, reason } = line;
      const key = `${line.route}\0${decision}\0${reason}\0${line.direction ?? 'push'}`;
      let t = transferChildren.get(key);
      if (!t) {
        const pull = line.direction === 'pull' ? pulls.labels({ route: line.route, decision }) : undefined;
        t = { count: transfers.labels({ route: line.route, decision, reason }), bytes: bytes.labels({ route: line.route }), pull };
        transferChildren.set(key, t);
      }
      t.count.inc();
      t.pull?.inc();
      if (line.bytes > 0) t.bytes.inc(line.bytes);
      if (event.admitted) {
        for (const c of event.counters) {
          if (c.added <= 0) continue;
          let p = personChildren.get(c.counter);
          if (!p) personChildren.set(c.counter, (p = personsAdded.labels({ counter: c.counter })));
          p.inc(c.added);
        }
      }
      for (const [name, ms] of Object.entries(line.ms)) stageChildren.get(name)?.observe(ms / 1000);
    },
  };

  return {
    registry,
    observer,
    watchStore: (store) => countFailures(store, (code) => storeErrors.inc({ code })),
    proxy: {
      handled: (via, outcome) => proxyRequests.inc({ via, outcome }),
      refused: (code, jurisdiction) => proxyRefused.inc({ code, jurisdiction }),
    },
    collectFrom(s) {
      sources = s;
      cached = undefined;
    },
  };
}

/**
 * Exact persons ÷ the lowest threshold no filing covers, reached or not: 1 or more means the
 * counter stands at or past an uncovered threshold (monitor mode, a backfill); 0 when every
 * threshold is covered.
 */
function utilization(status: ReturnType<typeof counterStatus>): number {
  const lowest = status.thresholds.filter((t) => t.filing === null).reduce<number | undefined>((m, t) => (m === undefined || t.min < m ? t.min : m), undefined);
  return lowest === undefined || lowest <= 0 ? 0 : status.exact / lowest;
}

/** `target` with every method's failure (a throw or a rejected promise) reported by its code; results untouched. */
function countFailures<T extends object>(target: T, failed: (code: string) => void): T {
  const codeOf = (err: unknown) => (isXbError(err) ? err.code : 'XB_INTERNAL');
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(t, prop) {
      const value: unknown = Reflect.get(t, prop, t);
      if (typeof value !== 'function') return value;
      let w = wrapped.get(prop);
      if (!w) {
        const fn = value as (...args: unknown[]) => unknown;
        w = (...args: unknown[]) => {
          let result: unknown;
          try {
            result = fn.apply(t, args);
          } catch (err) {
            failed(codeOf(err));
            throw err;
          }
          if (result instanceof Promise) result.catch((err: unknown) => failed(codeOf(err)));
          return result;
        };
        wrapped.set(prop, w);
      }
      return w;
    },
  });
}
