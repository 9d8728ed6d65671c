/**
 * record: Decision → evidence.
 * In: what the pipeline found and decided about a transfer (never raw values).
 * Out: a TRANSFER record appended to the chain before anything is forwarded; an OUTCOME record
 * once the upstream answered.
 * Never: write raw PI. Persons appear only as their 16-byte keys.
 */
import type { CountResult, Decision, Subjects } from '../types.js';
import type { EvidenceLog } from './log.js';

export { openEvidenceLog, type EvidenceLog } from './log.js';
export { verifyEvidence } from './verify.js';

export interface TransferFacts {
  /** BACKFILL: persons sent before xborder was installed (`xborder backfill`); default TRANSFER. */
  readonly kind?: 'TRANSFER' | 'BACKFILL';
  /** push (default): a request body sent abroad; pull: a response an overseas caller pulled. */
  readonly direction?: 'push' | 'pull';
  readonly transferId: string;
  readonly timeMs: number;
  readonly route: {
    readonly id: string;
    readonly recipient: { readonly name: string; readonly country: string };
    readonly regime: string;
    readonly list: string;
    readonly domain: string;
    readonly scenario: string;
  };
  readonly subjects: Subjects | undefined;
  readonly counted: CountResult | undefined;
  readonly decision: Decision;
  readonly policyRevision: string;
  readonly bodySha256: Buffer;
  readonly bodySize: number;
  readonly errorCode: string | undefined;
  /** The route's exemption and whether the transfer fit it. */
  readonly exemption?: { readonly basis: string; readonly holds: boolean } | undefined;
}

export async function recordTransfer(log: EvidenceLog, f: TransferFacts): Promise<void> {
  await log.append({
    kind: f.kind ?? 'TRANSFER',
    timeMs: f.timeMs,
    transferId: f.transferId,
    transfer: {
      route: f.route.id,
      direction: f.kind === 'BACKFILL' ? 'backfill' : (f.direction ?? 'push'),
      recipient: f.route.recipient.name,
      recipientCountry: f.route.recipient.country,
      regime: f.route.regime,
      list: f.route.list,
      domain: f.route.domain,
      scenario: f.route.scenario,
      dataItems: f.subjects?.dataItems ?? [],
      recordCount: f.subjects?.recordCount ?? 0,
      subjectCount: f.subjects?.subjectCount ?? f.subjects?.subjects.length ?? 0,
      persons: f.counted?.persons ?? [],
      year: f.counted?.year ?? 0,
      admitted: f.counted?.admitted ?? false,
      counters: f.counted?.counters ?? [],
      decision: f.decision.kind,
      reason: f.decision.reason,
      enforceWouldBlock: f.decision.enforceWouldBlock,
      rules: f.decision.rules.map((r) => ({ ...r, filing: r.filing ?? '', remedies: r.remedies ?? [], summary: r.summary ?? '' })),
      policyRevision: f.policyRevision,
      filings: filingIds(f.decision),
      bodySha256: f.bodySha256,
      bodySize: f.bodySize,
      errorCode: f.errorCode ?? '',
      notices: (f.decision.notices ?? []).map((x) => ({ ...x, filing: x.filing ?? '', counter: x.counter ?? '' })),
      exemption: f.exemption?.basis ?? '',
      exemptionHeld: f.exemption?.holds ?? false,
    },
  });
}

export async function recordOutcome(
  log: EvidenceLog,
  transferId: string,
  timeMs: number,
  outcome: { upstreamStatus: number; errorCode: string | undefined; responseBytes: number; attempts?: number | undefined },
): Promise<void> {
  await log.append({ kind: 'OUTCOME', timeMs, transferId, outcome: { ...outcome, errorCode: outcome.errorCode ?? '', attempts: outcome.attempts ?? 0 } });
}

export const filingIds = (d: Decision): string[] => [...new Set(d.rules.flatMap((r) => (r.filing ? [r.filing] : [])))];
