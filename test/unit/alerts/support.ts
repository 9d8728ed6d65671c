/**
 * Test support for agent/alerts: transfer events as the pipeline emits them, decided by the real
 * decide() over the real Guangxi 2025 live-commerce counters, and a pino logger whose lines the
 * test can read.
 */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { AlertSnapshot } from '../../../agent/alerts/rules.js';
import { reaches } from '../../../agent/count/ranges.js';
import { blockedRanges, decide, type DecideContext, type Filing } from '../../../agent/decide/index.js';
import type { TransferEvent } from '../../../agent/observability/events.js';
import type { DecisionLine } from '../../../agent/observability/decision-line.js';
import type { RouteRuntime } from '../../../agent/policy/snapshot.js';
import type { CounterDelta, Decision } from '../../../agent/types.js';
import { countersOf, liveCommerce } from '../support/policy.js';

export const RECIPIENT = 'Example Logistics Pte. Ltd.';
export const LIMITED = 'guangxi-2025/live-commerce/limited';
export const GENERAL = 'guangxi-2025/live-commerce/general';
export const SENSITIVE = 'guangxi-2025/live-commerce/sensitive';
/** 2026-06-15 10:00 China time. */
export const NOW = new Date('2026-06-15T02:00:00Z');

/** A snapshot with one route `sg` on the live-commerce counters, and the given filings. */
export function snapshotWith(filings: readonly Filing[] = [], ciio = false): AlertSnapshot {
  const route = { id: 'sg', counters: countersOf(liveCommerce()), recipient: { name: RECIPIENT, country: 'SG' } } as unknown as RouteRuntime;
  return { routes: new Map([['sg', route]]), filings, ciio, ciioRules: [] };
}

export interface Move {
  readonly counter: string;
  readonly before: number;
  readonly added: number;
}

/**
 * The event of a transfer moving counters by `moves`: refused as the store would (any move
 * reaching an uncovered range), decided by decide(), as the pipeline hands it to observers.
 */
export function eventOf(
  moves: readonly Move[],
  opts: { filings?: readonly Filing[]; mode?: 'enforce' | 'monitor'; recipient?: string; time?: Date; decision?: Decision; errorCode?: string } = {},
): TransferEvent {
  const time = opts.time ?? NOW;
  const counters = countersOf(liveCommerce());
  const ctx: DecideContext = {
    counters,
    indicatorDomains: [],
    filings: opts.filings ?? [],
    recipient: opts.recipient ?? RECIPIENT,
    scenario: 'cross-border-delivery',
    day: new Date(time.getTime() + 8 * 3600_000).toISOString().slice(0, 10),
    ciio: false,
    ciioRules: [],
    mode: opts.mode ?? 'enforce',
    alertLevel: 0.9,
    floorRules: [],
    personsHeld: { personalInformation: 0, sensitive: 0, accountsOrMedical: 0 },
  };
  const deltas: CounterDelta[] = moves.map((m) => ({ counter: m.counter, before: m.before, added: m.added, after: m.before + m.added, persons: [] }));
  const admitted = !deltas.some((d) => {
    const c = counters.get(d.counter);
    return c !== undefined && blockedRanges(c, [], ctx).some((r) => reaches(r, d.before, d.after));
  });
  const decision = opts.decision ?? decide({ year: 2026, admitted, counters: deltas, persons: [] }, [], ctx);
  const line = { schema: 1, transferId: 't', route: 'sg', decision: decision.kind, reason: decision.reason, errorCode: opts.errorCode } as unknown as DecisionLine;
  return {
    line,
    time,
    recipient: { name: opts.recipient ?? RECIPIENT, country: 'SG' },
    counters: deltas.map(({ persons: _p, ...d }) => d),
    admitted,
    decision,
  };
}

/** A logger writing JSON lines into `lines`. */
export function capturingLogger(): { log: Logger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, any>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

/** Poll until `probe` holds, at most `ms` (no timing assertion: a bound on waiting). */
export async function waitFor(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
