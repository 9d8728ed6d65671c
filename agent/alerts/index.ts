/**
 * alerts: tells people what the compliance officer and ops must act on — a counter at a level of
 * an uncovered threshold, a filing near expiry or in its renewal window, a material change, an
 * emergency stop or resume, a store failure — once, through webhooks and WeCom, DingTalk and
 * Feishu robots (docs/alerts.md).
 * In: every decided transfer (a TransferObserver), the filings (at start, hourly and after a
 * reload), and the control module's emergencyStop()/resumed().
 * Out: HTTP requests to the configured sinks, from a background loop.
 * Never: block or fail the data plane (the observer evaluates in memory and enqueues; sending,
 * retrying and writing the state file happen off the transfer's path), send an alert twice across
 * restarts, or put a value a transfer carried in a message or a log line.
 *
 * Once only: an alert's key is marked fired and, with its pending sends, written to the state
 * file (state.ts) before the first send is tried; a restart reloads both, so it neither repeats
 * nor loses one. Per replica: with several gateways each keeps its own state file and alerts once
 * (no cross-replica dedupe; only count/store/ talks to Redis). undici is used here as in forward/:
 * the sinks are outbound HTTP too.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { chinaDay, type Clock } from '../clock.js';
import type { AlertsConfig, AlertSinkConfig } from '../config/load.js';
import type { SecretSourceConfig } from '../config/schema.js';
import { XbError } from '../errors.js';
import type { TransferEvent, TransferObserver } from '../observability/events.js';
import type { Logger } from '../observability/log.js';
import { refusal, render, type SinkKind } from './messages.js';
import { counterLevels, emergency, filingAlerts, materialChanges, policyDivergence, storeFailure, storeFailureCode, type AlertSnapshot, type Candidate } from './rules.js';
import { loadState, saveState, type AlertState } from './state.js';
import type { PendingSend } from './types.js';

export type { Alert, AlertKind, PendingSend } from './types.js';

export interface AlerterDeps {
  readonly config: AlertsConfig;
  readonly gatewayId: string;
  /** The running policy snapshot (reload swaps it): routes' counters and rules, filings, CIIO. */
  readonly snapshot: () => AlertSnapshot;
  /** Alert times, the day filings are checked on, counting years. Retries use the wall clock. */
  readonly clock: Clock;
  readonly log: Logger;
}

export interface Alerter extends TransferObserver {
  /** Load the state file, resolve the sinks' URLs and secrets (XB_CFG_INVALID if one is missing), check filings, resume pending sends. */
  start(): Promise<void>;
  /** An operator stopped every transfer (the control module calls this): alerts `emergency-stop`. */
  emergencyStop(by: string, reason: string): void;
  /** Transfers resumed after an emergency stop: alerts `emergency-resume`. */
  resumed(by?: string): void;
  /** The control module's `onChange` as one call: a stopped state is emergencyStop(), a running one resumed(). */
  emergencyChanged(state: { readonly stopped: boolean; readonly by: string | null; readonly reason: string | null }): void;
  /** Replicas sharing the store run different policy revisions (control/replicas.ts `onDivergence`): alerts `policy-divergence`. */
  policyDiverged(view: { readonly replicas: readonly { readonly gatewayId: string; readonly policyRevision: string }[] }): void;
  /** Check the filings now (done at start, hourly, and on the first transfer after a reload). */
  checkFilings(): void;
  /** Sends waiting, oldest first (a copy). */
  pending(): readonly PendingSend[];
  /** Stop timers, let a send in flight finish (bounded by alerts.timeoutMs), write the state. */
  close(): Promise<void>;
}

/** Filings are checked at start and then this often (1 h): the day changes at most that late. */
const FILING_CHECK_MS = 3_600_000;

interface Sink {
  readonly id: string;
  readonly kind: SinkKind;
  readonly url: string;
  readonly secret: string | undefined;
}

/** Create the alerter; nothing is read or sent before start(). */
export function createAlerter(deps: AlerterDeps): Alerter {
  const { config, gatewayId, clock, log } = deps;
  const { retry, timeoutMs } = config;
  let state: AlertState = { fired: new Map(), pending: [], storeFailures: new Map() };
  const sinks = new Map<string, Sink>();
  const draining = new Map<string, Promise<void>>();
  const timers = new Map<string, NodeJS.Timeout>();
  let filingTimer: NodeJS.Timeout | undefined;
  let lastSnapshot: AlertSnapshot | undefined;
  let started = false;
  let closed = false;
  let kicked = false;
  const dispatcher = new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });

  // The state file is written by one writer at a time; `dirty` coalesces many changes into one write.
  let dirty = false;
  let writing: Promise<boolean> = Promise.resolve(true);
  const persist = (): Promise<boolean> => {
    writing = writing.then(async () => {
      if (!dirty) return true;
      dirty = false;
      try {
        await saveState(config.stateFile, state);
        return true;
      } catch (err) {
        dirty = true;
        log.error({ file: config.stateFile, err: { message: (err as Error).message } }, 'xborder.alert_state_write_failed');
        return false;
      }
    });
    return writing;
  };

  const fired = (key: string): boolean => state.fired.has(key);

  /** Mark fired, queue one send per sink, wake the loop. Synchronous and in memory: the observer's cost. */
  const accept = (candidates: readonly Candidate[]): void => {
    for (const c of candidates) {
      const at = c.alert?.time ?? clock.now().toISOString();
      for (const k of c.subsumes) state.fired.set(k, at);
      if (c.subsumes.length > 0) dirty = true;
      const a = c.alert;
      if (!a || state.fired.has(a.id)) continue;
      state.fired.set(a.id, a.time);
      dirty = true;
      for (const sink of sinks.values()) state.pending.push({ alert: a, sink: sink.id, attempts: 0, nextAt: Date.now() });
      log.info({ alert: a.id, kind: a.kind, level: a.level, counter: a.counter, filing: a.filing, sinks: sinks.size }, 'xborder.alert_fired');
    }
    if (dirty) kick();
  };

  const kick = (): void => {
    if (kicked || closed) return;
    kicked = true;
    setImmediate(() => {
      kicked = false;
      void pump();
    });
  };

  /** Write what changed, then start a drain for every sink with sends and none running. */
  const pump = async (): Promise<void> => {
    if (closed) return;
    if (!(await persist())) return schedule('', retry.initialMs);
    for (const id of new Set(state.pending.map((p) => p.sink))) {
      if (draining.has(id) || timers.has(id)) continue;
      const p = drain(id).finally(() => draining.delete(id));
      draining.set(id, p);
    }
  };

  const schedule = (sink: string, ms: number): void => {
    if (closed) return;
    clearTimeout(timers.get(sink));
    const t = setTimeout(() => {
      timers.delete(sink);
      void pump();
    }, Math.max(0, ms));
    t.unref();
    timers.set(sink, t);
  };

  /** One sink's sends, oldest first, one at a time: a sink that is down delays only itself. */
  const drain = async (id: string): Promise<void> => {
    while (!closed) {
      const head = state.pending.find((p) => p.sink === id);
      if (!head) break;
      const wait = head.nextAt - Date.now();
      if (wait > 0) return schedule(id, wait);
      // The alert is fired and queued on disk before it is tried (once only, across restarts).
      if (!(await persist())) return schedule(id, retry.initialMs);
      if (closed) break;
      const why = await send(head);
      head.attempts++;
      dirty = true;
      const ids = { alert: head.alert.id, kind: head.alert.kind, sink: id, attempts: head.attempts };
      if (why === undefined) {
        remove(head);
        log.info(ids, 'xborder.alert_sent');
      } else if (head.attempts >= retry.attempts) {
        remove(head);
        log.error({ ...ids, reason: why }, 'xborder.alert_dropped');
      } else {
        const delay = Math.min(retry.initialMs * 2 ** (head.attempts - 1), Math.max(retry.maxMs, retry.initialMs));
        head.nextAt = Date.now() + delay;
        log.warn({ ...ids, reason: why, retryInMs: delay }, 'xborder.alert_send_failed');
      }
    }
    await persist();
  };

  const remove = (p: PendingSend): void => {
    const i = state.pending.indexOf(p);
    if (i >= 0) state.pending.splice(i, 1);
  };

  /** One HTTP attempt; undefined when the sink took it, else why not (no URL: it may hold a token). */
  const send = async (p: PendingSend): Promise<string | undefined> => {
    const sink = sinks.get(p.sink);
    if (!sink) return 'sink not configured';
    const req = render(p.alert, sink, Date.now());
    try {
      const res = await request(req.url, {
        dispatcher,
        method: 'POST',
        headers: req.headers,
        body: req.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.body.text();
      return refusal(sink.kind, res.statusCode, text);
    } catch (err) {
      const e = err as { code?: string; name?: string };
      return `error ${e.code ?? e.name ?? 'unknown'}`;
    }
  };

  const checkFilings = (): void => {
    if (!started || closed) return;
    const now = clock.now();
    accept(filingAlerts(deps.snapshot().filings, chinaDay(now), config.filingDays, now, gatewayId, fired));
  };

  const emergencyStop = (by: string, reason: string): void => {
    if (!started || closed) return;
    accept([{ alert: emergency('stop', by.slice(0, 200), reason.slice(0, 500), clock.now(), gatewayId), subsumes: [] }]);
  };

  const resumed = (by = 'operator'): void => {
    if (!started || closed) return;
    accept([{ alert: emergency('resume', by.slice(0, 200), undefined, clock.now(), gatewayId), subsumes: [] }]);
  };

  return {
    async start() {
      if (started) return;
      for (const s of config.sinks) sinks.set(s.id, resolveSink(s));
      state = loadState(config.stateFile, clock.now().getTime(), (movedTo, reason) =>
        log.error({ file: config.stateFile, movedTo, reason }, 'xborder.alert_state_unreadable'),
      );
      // Sends queued for a sink no longer configured cannot go anywhere.
      for (const p of [...state.pending]) {
        if (sinks.has(p.sink)) continue;
        remove(p);
        dirty = true;
        log.error({ alert: p.alert.id, kind: p.alert.kind, sink: p.sink, attempts: p.attempts, reason: 'sink no longer configured' }, 'xborder.alert_dropped');
      }
      started = true;
      lastSnapshot = deps.snapshot();
      checkFilings();
      filingTimer = setInterval(checkFilings, FILING_CHECK_MS);
      filingTimer.unref();
      if (state.pending.length > 0) log.info({ pending: state.pending.length }, 'xborder.alerts_resumed');
      dirty = true; // written once at start: a data folder the state cannot be written to shows now
      kick();
      await persist();
    },

    transferDecided(event: TransferEvent): void {
      if (!started || closed) return;
      const snapshot = deps.snapshot();
      const candidates = [...counterLevels(event, snapshot, config.levels, gatewayId, fired), ...materialChanges(event, gatewayId, fired)];
      const code = storeFailureCode(event);
      if (code) {
        const t = event.time.getTime();
        const last = state.storeFailures.get(code);
        if (last === undefined || t - last >= config.storeFailureIntervalMs || t < last) {
          state.storeFailures.set(code, t);
          candidates.push({ alert: storeFailure(code, event.time, gatewayId), subsumes: [] });
        }
      }
      accept(candidates);
      // A reload swapped the snapshot: its filings may have changed.
      if (snapshot !== lastSnapshot) {
        lastSnapshot = snapshot;
        setImmediate(checkFilings);
      }
    },

    emergencyStop,
    resumed,
    // Usable detached (`control.onChange = alerter.emergencyChanged`): no `this`.
    emergencyChanged: (s) => (s.stopped ? emergencyStop(s.by ?? 'unknown', s.reason ?? '') : resumed(s.by ?? undefined)),

    // Usable detached (`replicas.onDivergence = alerter.policyDiverged`): no `this`.
    policyDiverged: (view) => {
      if (started && !closed) accept(policyDivergence(view.replicas, clock.now(), gatewayId, fired));
    },

    checkFilings,

    pending: () => state.pending.map((p) => ({ ...p })),

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(filingTimer);
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...draining.values()]);
      dirty ||= started;
      await persist();
      await dispatcher.close();
    },
  };
}

/** A sink's URL and secret, read now from the file or variable the config names. */
function resolveSink(s: AlertSinkConfig): Sink {
  const url = typeof s.url === 'string' ? s.url : readSource(s.url, `alerts sink ${s.id} url`);
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new XbError('XB_CFG_INVALID', `config is invalid: alerts sink ${s.id}: its url is not an http(s) URL`);
  }
  return { id: s.id, kind: s.kind, url, secret: s.secret ? readSource(s.secret, `alerts sink ${s.id} secret`) : undefined };
}

function readSource(src: SecretSourceConfig, what: string): string {
  let value: string | undefined;
  if (src.file) {
    try {
      value = readFileSync(src.file, 'utf8').trim();
    } catch (err) {
      throw new XbError('XB_CFG_INVALID', `config is invalid: ${what}: file ${src.file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else if (src.env) {
    value = process.env[src.env]?.trim();
    if (!value) throw new XbError('XB_CFG_INVALID', `config is invalid: ${what}: environment variable ${src.env} is not set`);
  }
  if (!value) throw new XbError('XB_CFG_INVALID', `config is invalid: ${what} is empty`);
  return value;
}

