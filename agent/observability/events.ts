/**
 * What the data plane tells the rest of the gateway once a transfer is decided (and, if allowed,
 * forwarded): metrics, alerts and the recent-transfers list subscribe to it. Observers run
 * synchronously on the transfer's path, so they must be cheap and must not throw; anything slow
 * (an alert's webhook) is queued by the observer itself. No raw value is in an event.
 */
import type { Decision } from '../types.js';
import type { DecisionLine } from './decision-line.js';

export interface TransferEvent {
  /** The decision line as logged (counts, items, citations, stage timings, upstream status). */
  readonly line: DecisionLine;
  readonly time: Date;
  readonly recipient: { readonly name: string; readonly country: string };
  /** Per counter the transfer planned on: before, added, after (added only if admitted). */
  readonly counters: readonly { readonly counter: string; readonly before: number; readonly added: number; readonly after: number }[];
  readonly admitted: boolean;
  readonly decision: Decision;
}

export interface TransferObserver {
  transferDecided(event: TransferEvent): void;
}
