/**
 * The canonical decision log line, one per transfer (`msg: "xborder.decision"`, `schema: 1`).
 * Field names live here only; tests parse this line. Counts, ids and citations — never a value.
 */
import type { Citation, Decision } from '../types.js';

export const DECISION_MSG = 'xborder.decision';
export const DECISION_SCHEMA = 1;

export interface DecisionLine {
  schema: typeof DECISION_SCHEMA;
  transferId: string;
  route: string;
  /** push: a request body sent abroad; pull: a response an overseas caller pulled (docs/pull-mode.md). Always set by the pipeline; absent reads as push. */
  direction?: 'push' | 'pull';
  decision: Decision['kind'];
  reason: string;
  enforceWouldBlock: boolean;
  rules: string[];
  /** Codes of the decision's notices (alert-level, material-change, …). */
  notices: string[];
  dataItems: readonly string[];
  policyRevision: string;
  filings: string[];
  records: number;
  persons: number;
  /** Low-confidence detector hits for review (never counted): how many kinds, not their values. */
  findings: number;
  bytes: number;
  errorCode: string | undefined;
  /** Milliseconds per stage. */
  ms: Record<string, number>;
  upstreamStatus: number | undefined;
}

/** `guangxi-2025/live-commerce#6 limited 99,990+20` — a rule in one short string. */
export const citeShort = (c: Citation): string =>
  `${c.list}/${c.domain}#${c.item} ${c.counter.split('/').pop()} ${c.before}+${c.added}${c.filing ? ` by ${c.filing}` : ''}`;
