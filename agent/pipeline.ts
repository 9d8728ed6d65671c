/**
 * The pipeline, in order: receive → parse → classify → identify → count → decide → record →
 * forward → record outcome. This file only calls the stages and times them; the logic lives in
 * each stage's folder. receive/ calls `handle`; everything here is plain values.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { chinaDay, chinaYear, type Clock } from './clock.js';
import { classify, indicatorId, volumeHits } from './classify/index.js';
import { count, peekCount, planCount, type CountPlan } from './count/index.js';
import type { CountedYears } from './count/years.js';
import { PersonTally } from './count/plan.js';
import { DEFAULTS } from './config/defaults.js';
import { sketchName, type CheckAndAddOptions, type CounterStore } from './count/store/types.js';
import { assessExemption, type ExemptionStatus } from './decide/exemptions.js';
import { blockedRanges, decide, decideContext, floorsReached, decideOverLimit, decideStoreDown, decideUninspectable, OVER_LIMIT_CODES } from './decide/index.js';
import { XbError, toProblem, toXbError, type Problem } from './errors.js';
import { upstreamUrl, type Forwarder } from './forward/index.js';
import { identify } from './identify/index.js';
import type { IdentityKey } from './identify/key.js';
import { citeShort, DECISION_MSG, DECISION_SCHEMA, type DecisionLine } from './observability/decision-line.js';
import type { TransferEvent, TransferObserver } from './observability/events.js';
import type { Logger } from './observability/log.js';
import { parse } from './parse/index.js';
import { parseSpooled, streams } from './parse/stream.js';
import { admit, pullTransfer } from './pull/index.js';
import type { SpoolOptions } from './receive/spool.js';
import type { PolicySnapshot, RouteRuntime } from './policy/snapshot.js';
import { filingIds, recordOutcome, recordTransfer, type EvidenceLog } from './record/index.js';
import type { IndicatorIndex } from './policy/indicators.js';
import type { Counter } from './policy/types.js';
import type { Body, Classified, CountResult, Decision, Finding, IndicatorHit, Subjects } from './types.js';

export interface TransferRequest {
  readonly routeId: string;
  /** Path after the route id, with the query string. */
  readonly pathAndQuery: string;
  readonly method: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Body;
  /** The client's address (a pull route's callers may be recognised by network). */
  readonly remoteAddress?: string | undefined;
}

export type TransferResponse =
  | { readonly kind: 'problem'; readonly transferId: string; readonly problem: Problem; readonly headers: Record<string, string> }
  | { readonly kind: 'upstream'; readonly status: number; readonly headers: Record<string, string | string[]>; readonly body: Readable };

export interface PipelineDeps {
  readonly snapshot: () => PolicySnapshot;
  readonly store: CounterStore;
  readonly evidence: EvidenceLog;
  readonly forwarder: Forwarder;
  readonly identity: IdentityKey;
  readonly clock: Clock;
  readonly log: Logger;
  /** Largest body of a format parsed in memory (limits.bodyBytes); default DEFAULTS.limits.bodyBytes. */
  readonly bodyBytes?: number;
  /** Years this gateway knows the store has counts for (count/years.ts); the data plane's only. */
  readonly countedYears?: CountedYears;
  /** Told of every decided transfer, after its decision line (metrics, alerts, recent transfers). */
  readonly observers?: readonly TransferObserver[];
  /** The emergency stop in force, as the error its refusals carry (control/emergency.ts); undefined: none. */
  readonly emergency?: () => XbError | undefined;
  /** Where a pull route's upstream responses are held while inspected: memory up to memoryBytes, then a spool file. */
  readonly spool?: SpoolOptions;
}

export const HEADER_DECISION = 'x-xborder-decision';
export const HEADER_TRANSFER_ID = 'x-xborder-transfer-id';

export function createPipeline(deps: PipelineDeps): (req: TransferRequest) => Promise<TransferResponse> {
  const handle = transfer(deps);
  return async (req) => {
    const snapshot = deps.snapshot(); // kept for the whole transfer, whatever a reload does
    const route = snapshot.routes.get(req.routeId);
    // Not a transfer yet: no id, no evidence (receive/ answers with the problem).
    if (!route) throw new XbError('XB_ROUTE_NOT_FOUND', `no route ${JSON.stringify(req.routeId.slice(0, 64))}; configured: ${[...snapshot.routes.keys()].join(', ')}`);
    // The method must fit the route's direction, and a pull route's caller (its recipient) be known:
    // otherwise refused before a transfer exists (no id, no evidence), like an unknown route.
    const admitted = admit(route, req);
    // Resolved once, here: XB_ROUTE_PATH_INVALID when the path would leave the route's upstream.
    const target = upstreamUrl(admitted.upstream, req.pathAndQuery);
    const transferId = randomUUID();
    // Guangxi FTZ measures Art. 13, CAC Order No. 16 Art. 11: a stop halts every transfer at once.
    const stopped = deps.emergency?.();
    if (stopped) return halted(deps, stopped, transferId, snapshot, admitted, req.body);
    try {
      return await (admitted.direction === 'pull' ? pullTransfer(deps, req, transferId, snapshot, admitted, target) : handle(req, transferId, snapshot, admitted, target));
    } catch (err) {
      // Every failure after this point belongs to a transfer: its problem body names it.
      const e = toXbError(err);
      if (e.status >= 500) deps.log.error({ transferId, code: e.code, err: { message: e.message, stack: e.stack } }, 'xborder.fault');
      return { kind: 'problem', transferId, problem: toProblem(e, transferId), headers: { [HEADER_TRANSFER_ID]: transferId } };
    }
  };
}

/** What inspection found and decided about one body: everything before record and forward. */
export interface Inspection {
  readonly classified: Classified | undefined;
  readonly subjects: Subjects | undefined;
  readonly counted: CountResult | undefined;
  readonly decision: Decision;
  /** Why the content could not be decided on: an uninspectable body or a store fault. */
  readonly failure: XbError | undefined;
  /** The route's exemption, as the content bore it out (undefined: none, or not inspected). */
  readonly exemption?: ExemptionStatus | undefined;
  /** Milliseconds per stage. */
  readonly ms: Record<string, number>;
}

/**
 * parse → classify → identify → count → decide, for the data plane (`count`: persons are added
 * unless refused), for `xborder classify` (`peek`: nobody is added) and for `xborder backfill`
 * (`backfill`: persons already sent are added with no blocked range, and a store failure is thrown).
 */
export async function inspect(
  body: Body,
  route: RouteRuntime,
  snapshot: PolicySnapshot,
  deps: Pick<PipelineDeps, 'store' | 'identity' | 'log' | 'bodyBytes' | 'countedYears'>,
  transferId: string,
  now: Date,
  counting: 'count' | 'peek' | 'backfill',
): Promise<Inspection> {
  const ms: Record<string, number> = {};
  const timed = <T>(stage: string, fn: () => T): T => {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      ms[stage] = round((ms[stage] ?? 0) + performance.now() - t0);
    }
  };
  const identifyCtx = { key: deps.identity.key, transferId, onDate: now, sensitivityProfile: snapshot.sensitivityProfile };
  let classified: Classified | undefined;
  let subjects: Subjects | undefined;
  try {
    const size = bodySize(body);
    const streaming = size > 0 && timed('parse', () => streams(body, route));
    const inMemoryLimit = deps.bodyBytes ?? DEFAULTS.limits.bodyBytes;
    if (!streaming && size > inMemoryLimit) {
      throw new XbError('XB_BODY_TOO_LARGE_TO_INSPECT', `the body is ${size} bytes; ${body.contentType?.split(';')[0]?.slice(0, 64) ?? 'its type'} bodies are parsed in memory up to ${inMemoryLimit} bytes (limits.bodyBytes); NDJSON, CSV, TSV and text/plain stream`, { limitBytes: inMemoryLimit });
    }
    if (streaming && body.spooled) {
      // Records in batches, each classified and identified, keeping only what count and decide read.
      const spooled = { ...body, spooled: body.spooled };
      const merged = new ClassifiedMerge(route.indicators);
      const tally = new PersonTally();
      let offset = 0;
      const batches = parseSpooled(spooled, route);
      for (;;) {
        const t0 = performance.now();
        const next = await batches.next();
        ms['parse'] = round((ms['parse'] ?? 0) + performance.now() - t0);
        if (next.done) break;
        const c = timed('classify', () => classify({ records: next.value }, route.domain, now, route.indicators));
        merged.add(c);
        tally.add(timed('identify', () => identify(c, { ...identifyCtx, recordOffset: offset })));
        offset += next.value.length;
      }
      classified = merged.result();
      subjects = tally.subjects(classified.indicators);
    } else {
      const inMemory = body.spooled ? { ...body, bytes: await readFile(body.spooled.file) } : body;
      const records = timed('parse', () => parse(inMemory, route));
      classified = timed('classify', () => classify(records, route.domain, now, route.indicators));
      const c = classified;
      subjects = timed('identify', () => identify(c, identifyCtx));
    }
  } catch (err) {
    if (!(err instanceof XbError) || !/^XB_(PARSE|BODY)_/.test(err.code)) throw err;
    const decision = OVER_LIMIT_CODES.has(err.code) ? decideOverLimit() : decideUninspectable(route.failMode, snapshot.mode);
    return { classified, subjects, counted: undefined, decision, failure: err, ms };
  }
  const found = subjects;
  const plan = planCount(found, route.domain, route.scenario);
  const base = decideContext(snapshot, route, chinaDay(now));
  // Only a route with an exemption needs to know whether the company's holdings contradict it.
  const held = () => ({ any: plan.persons.length > 0, sensitive: plan.counters.some((c) => c.counter.kind === 'sensitive' && c.persons.length > 0) });
  const exemption = route.exemption && assessExemption(route.exemption, plan.persons.length, found.indicators, floorsReached(held(), base));
  const ctx = { ...base, exemption, dataItems: found.dataItems };
  const input = {
    // Persons sent under an exemption count toward the list's thresholds only where its pack says
    // so (Guangxi 2025: 不计入累计数量); they never make the transfer refusable.
    plan: exemption?.holds && !route.domain.exemptPersonsCount ? { persons: [], counters: [] } : plan,
    year: chinaYear(now),
    keyFingerprint: deps.identity.fingerprint,
    // The data of a backfill already left: nothing can be refused, everything is counted.
    blockedRanges: (c: Counter) => (counting === 'backfill' ? [] : blockedRanges(c, found.indicators, ctx)),
  };
  const t0 = performance.now();
  let counted: CountResult;
  try {
    counted = await (counting === 'peek' ? peekCount(deps.store, input) : count(deps.store, input, countOptions(route, now, input.year, deps.countedYears)));
  } catch (err) {
    if (counting === 'backfill' || !(err instanceof XbError) || !err.code.startsWith('XB_STORE_')) throw err;
    deps.log.error({ transferId, code: err.code, err: { message: err.message } }, err.code === 'XB_STORE_LOST' ? 'xborder.store_lost' : 'xborder.store_failed');
    // Never under-count: persons that could not be counted do not leave (fail-closed, DESIGN),
    // unless the route is fail-open; then they are recorded uncounted, for `counts rebuild`.
    // What is certain without the store still blocks: the transfer's own persons on empty counters.
    const certain = decide(uncounted(input, 'as-new'), found.indicators, ctx);
    const decision = certain.kind === 'block' ? certain : decideStoreDown(route.failMode, err.code);
    return { classified, subjects, counted: uncounted(input, 'none'), decision, failure: certain.kind === 'block' ? undefined : err, exemption, ms: { ...ms, count: round(performance.now() - t0) } };
  }
  if (counting !== 'peek' && counted.admitted && counted.persons.length > 0) deps.countedYears?.add(input.year);
  ms['count'] = round(performance.now() - t0);
  const decision = timed('decide', () => decide(counted, found.indicators, ctx));
  return { classified, subjects, counted, decision, failure: undefined, exemption, ms };
}

/** The store's options for one transfer: whether the year must already be there, and the dashboards' union sketches. */
function countOptions(route: RouteRuntime, now: Date, year: number, countedYears: CountedYears | undefined): CheckAndAddOptions {
  const month = chinaDay(now).slice(0, 7);
  return {
    expectCounted: countedYears?.has(year) ?? false,
    unions: [sketchName.route(route.id, month), sketchName.recipient(route.recipient.name, month)],
    day: chinaDay(now),
  };
}

/**
 * The planned persons of a transfer the store could not count: with nothing added (`none`, what
 * evidence records), or as if every person were new on empty counters (`as-new`, a lower bound of
 * the truth: whatever it blocks, the real counts would block too).
 */
function uncounted(input: { plan: CountPlan; year: number }, added: 'none' | 'as-new'): CountResult {
  const { plan, year } = input;
  const counters = plan.counters.map((c) => {
    const n = added === 'as-new' ? c.persons.length : 0;
    return { counter: c.counter.ref, before: 0, added: n, after: n, persons: c.persons };
  });
  return { year, admitted: false, persons: plan.persons, counters };
}

/** A body inspected, recorded and ready to announce: what push and pull share up to the send. */
export interface Decided extends Inspection {
  readonly now: Date;
  /** The decision line as it stands before the send (upstreamStatus still undefined). */
  readonly line: DecisionLine;
  /** Log the line (as given, e.g. with its upstream status) and tell the observers. */
  finish(final: DecisionLine, as?: Decision): void;
}

/**
 * inspect → TRANSFER record → the decision line: the part of a transfer before anything leaves.
 * `body` is what goes abroad: a push's request body, a pull's upstream response.
 */
export async function decideBody(deps: PipelineDeps, body: Body, transferId: string, snapshot: PolicySnapshot, route: RouteRuntime, direction: 'push' | 'pull'): Promise<Decided> {
  const now = deps.clock.now();
  const inspection = await inspect(body, route, snapshot, deps, transferId, now, 'count');
  const { classified, subjects, counted, decision, failure, exemption, ms } = inspection;

  const t1 = performance.now();
  await recordTransfer(deps.evidence, {
    transferId,
    timeMs: now.getTime(),
    direction,
    route: { id: route.id, recipient: route.recipient, regime: route.domain.regime, list: route.domain.list, domain: route.domain.id, scenario: route.scenario },
    subjects,
    counted,
    decision,
    policyRevision: snapshot.policy.revision,
    bodySha256: body.spooled?.sha256 ?? createHash('sha256').update(body.bytes).digest(),
    bodySize: bodySize(body),
    errorCode: failure?.code,
    exemption,
  });
  ms['record'] = round(performance.now() - t1);

  const line: DecisionLine = {
    schema: DECISION_SCHEMA,
    transferId,
    route: route.id,
    direction,
    decision: decision.kind,
    reason: decision.reason,
    enforceWouldBlock: decision.enforceWouldBlock,
    rules: decision.rules.map(citeShort),
    notices: (decision.notices ?? []).map((x) => x.code),
    dataItems: subjects?.dataItems ?? [],
    policyRevision: snapshot.policy.revision,
    filings: filingIds(decision),
    records: subjects?.recordCount ?? 0,
    persons: counted?.persons.length ?? 0,
    findings: classified?.findings?.length ?? 0,
    bytes: bodySize(body),
    errorCode: failure?.code,
    ms,
    upstreamStatus: undefined,
  };
  const finish = (final: DecisionLine, as = decision): void =>
    announce(deps, { line: final, time: now, recipient: route.recipient, counters: counted?.counters ?? [], admitted: counted?.admitted ?? false, decision: as });
  return { ...inspection, now, line, finish };
}

/** A stop made while the transfer was inspected holds it too: nothing leaves after the stop is answered. */
export async function stoppedAfterDecision(deps: PipelineDeps, d: Decided, stop: XbError, transferId: string): Promise<TransferResponse> {
  await outcome(deps, transferId, { upstreamStatus: 0, errorCode: stop.code, responseBytes: 0 });
  d.finish({ ...d.line, decision: 'block', reason: EMERGENCY_STOP.reason, errorCode: stop.code }, EMERGENCY_STOP);
  return { kind: 'problem', transferId, problem: toProblem(stop, transferId), headers: { [HEADER_DECISION]: 'block', [HEADER_TRANSFER_ID]: transferId } };
}

function transfer(deps: PipelineDeps) {
  return async function handle(req: TransferRequest, transferId: string, snapshot: PolicySnapshot, route: RouteRuntime, target: URL): Promise<TransferResponse> {
    const d = await decideBody(deps, req.body, transferId, snapshot, route, 'push');
    const { decision, subjects, failure, line, finish, ms } = d;

    if (decision.kind === 'block') {
      finish(line);
      return refusal(transferId, decision, route, subjects, failure);
    }

    const stop = deps.emergency?.();
    if (stop) return stoppedAfterDecision(deps, d, stop, transferId);

    const t2 = performance.now();
    let upstream;
    try {
      upstream = await deps.forwarder.forward(target, req.method, { ...req.headers, [HEADER_TRANSFER_ID]: transferId }, req.body.spooled ?? req.body.bytes, {
        settings: route.upstreamSettings,
        clientAddress: req.remoteAddress,
      });
    } catch (err) {
      const e = err instanceof XbError ? err : new XbError('XB_UPSTREAM_UNREACHABLE', String(err));
      await outcome(deps, transferId, { upstreamStatus: 0, errorCode: e.code, responseBytes: 0, attempts: Number(e.details?.['attempts'] ?? 1) });
      finish({ ...line, errorCode: e.code, ms: { ...ms, forward: round(performance.now() - t2) } });
      return problemOf(e, transferId, decision, subjects);
    }
    ms['forward'] = round(performance.now() - t2);
    await outcome(deps, transferId, { upstreamStatus: upstream.status, errorCode: undefined, responseBytes: Number(upstream.headers['content-length'] ?? 0) || 0, attempts: upstream.attempts ?? 1 });
    finish({ ...line, upstreamStatus: upstream.status });
    return {
      kind: 'upstream',
      status: upstream.status,
      headers: { ...upstream.headers, [HEADER_DECISION]: decision.kind, [HEADER_TRANSFER_ID]: transferId },
      body: upstream.body,
    };
  };
}

/** The decision line and observers of a decided transfer. */
function announce(deps: PipelineDeps, event: TransferEvent): void {
  deps.log.info(event.line, DECISION_MSG);
  for (const o of deps.observers ?? []) {
    try {
      o.transferDecided(event);
    } catch (err) {
      deps.log.error({ transferId: event.line.transferId, err: { message: (err as Error).message } }, 'xborder.observer_failed');
    }
  }
}

/** What an emergency stop makes of a transfer: refused in both modes (an operator's act, not the policy's). */
const EMERGENCY_STOP: Decision = { kind: 'block', rules: [], reason: 'emergency-stop', enforceWouldBlock: true };

/**
 * A transfer received while stopped: refused unread, with a decision line and its observers
 * (metrics count it under reason `emergency-stop`) but no TRANSFER record: nothing was inspected,
 * counted or sent, and the EMERGENCY_STOP record brackets every such refusal.
 */
function halted(deps: PipelineDeps, stop: XbError, transferId: string, snapshot: PolicySnapshot, route: RouteRuntime, body: Body): TransferResponse {
  const line: DecisionLine = {
    schema: DECISION_SCHEMA,
    transferId,
    route: route.id,
    direction: route.direction ?? 'push',
    decision: 'block',
    reason: EMERGENCY_STOP.reason,
    enforceWouldBlock: true,
    rules: [],
    notices: [],
    dataItems: [],
    policyRevision: snapshot.policy.revision,
    filings: [],
    records: 0,
    persons: 0,
    findings: 0,
    bytes: bodySize(body),
    errorCode: stop.code,
    ms: {},
    upstreamStatus: undefined,
  };
  announce(deps, { line, time: deps.clock.now(), recipient: route.recipient, counters: [], admitted: false, decision: EMERGENCY_STOP });
  return { kind: 'problem', transferId, problem: toProblem(stop, transferId), headers: { [HEADER_DECISION]: 'block', [HEADER_TRANSFER_ID]: transferId } };
}

/** The 451 for a block (DESIGN, external contract), or the failure that kept the content from being decided. */
export function refusal(transferId: string, decision: Decision, route: RouteRuntime, subjects: Subjects | undefined, failure: XbError | undefined): TransferResponse {
  const err =
    failure ??
    new XbError('XB_DECISION_BLOCKED', `route ${route.id}: ${decision.rules.map((r) => `${r.list} item ${r.item}`).join(', ')} needs a filing no valid one covers`);
  return problemOf(err, transferId, decision, subjects);
}

/** A problem body for a decided transfer: the error, plus the decision, its rules and the data items. */
export function problemOf(err: XbError, transferId: string, decision: Decision, subjects: Subjects | undefined): TransferResponse {
  const problem: Problem = { ...toProblem(err, transferId), decision: decision.kind, reason: decision.reason, rules: decision.rules, notices: decision.notices ?? [], dataItems: subjects?.dataItems ?? [] };
  return { kind: 'problem', transferId, problem, headers: { [HEADER_DECISION]: decision.kind, [HEADER_TRANSFER_ID]: transferId } };
}

/**
 * The OUTCOME record. Its failure is logged, not answered: the data has already left (or the
 * upstream already failed), a 503 now would invite a duplicate retry, and the failed log refuses
 * every later transfer until it is repaired.
 */
export async function outcome(deps: PipelineDeps, transferId: string, o: Parameters<typeof recordOutcome>[3]): Promise<void> {
  await recordOutcome(deps.evidence, transferId, deps.clock.now().getTime(), o).catch((err: unknown) =>
    deps.log.error({ transferId, code: toXbError(err).code }, 'xborder.evidence_outcome_failed'),
  );
}

export const bodySize = (b: Body): number => b.spooled?.size ?? b.bytes.length;

/** classify's answer over batches: data items, indicators and findings of the whole body (no records kept). */
class ClassifiedMerge {
  private readonly items = new Set<string>();
  private preciseLocations = 0;
  constructor(private readonly index: IndicatorIndex) {}

  private readonly hits = new Map<string, IndicatorHit>();
  private readonly findings = new Map<string, { -readonly [K in keyof Finding]: Finding[K] }>();

  add(c: Classified): void {
    this.preciseLocations += c.preciseLocations ?? 0;
    for (const d of c.dataItems) this.items.add(d);
    for (const h of c.indicators) if (!this.hits.has(indicatorId(h))) this.hits.set(indicatorId(h), h);
    for (const f of c.findings ?? []) {
      // Same key as classify's: detector, field shape (path without indices), reason.
      const id = `${f.detector}\0${f.path.replace(/\[\d+\]/g, '')}\0${f.reason}`;
      const seen = this.findings.get(id);
      if (seen) seen.occurrences += f.occurrences;
      else this.findings.set(id, { ...f });
    }
  }

  result(): Classified {
    // A volume is the whole body's: batches below it may add up past it.
    for (const ref of volumeHits(this.index, this.preciseLocations))
      if (!this.hits.has(indicatorId(ref))) this.hits.set(indicatorId(ref), { ...ref, via: 'volume' });
    return { records: [], dataItems: [...this.items].sort(), indicators: [...this.hits.values()], findings: [...this.findings.values()], preciseLocations: this.preciseLocations };
  }
}


export const round = (v: number) => Math.round(v * 1000) / 1000;
