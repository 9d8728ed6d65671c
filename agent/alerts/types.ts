/**
 * An alert as the alerter queues, persists and sends it: what happened, in numbers and ids (never
 * a value), with its text in Chinese and English. Sinks render it to their own format (messages.ts).
 */

export type AlertKind =
  | 'counter-level'
  | 'filing-expiry'
  | 'filing-renewal-window'
  | 'material-change'
  | 'emergency-stop'
  | 'emergency-resume'
  | 'store-failure'
  | 'policy-divergence';

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface Alert {
  /** The once-only key (kind, counter or filing, threshold, level, year); unique per alert. */
  readonly id: string;
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  /** counter-level: the share of the threshold (0.8); filing-expiry: the days before expiry (30); else null. */
  readonly level: number | null;
  /** Counter ref (`list/domain/counter`), for counter-level and a volume material change. */
  readonly counter: string | null;
  /** The threshold as the regulation reads (`100,000 ≤ n < 2,000,000`). */
  readonly threshold: string | null;
  /** Persons on the counter (counter-level: a refused transfer added nobody), or days left (filing-expiry). */
  readonly value: number | null;
  /** Counter-level 100% on a refused transfer: the persons it would have taken the counter to. */
  readonly attempted: number | null;
  /** The item the threshold belongs to. */
  readonly item: { readonly list: string; readonly domain: string; readonly number: number; readonly obligation: string } | null;
  readonly filing: string | null;
  /** The article the alert rests on. */
  readonly citation: string | null;
  /** Counting year (China time) the alert is about, for counter alerts. */
  readonly year: number | null;
  readonly text: { readonly zh: string; readonly en: string };
  /** ISO 8601, when the alert fired. */
  readonly time: string;
  readonly gatewayId: string;
}

/** One alert waiting for one sink. Persisted, so a restart resumes it. */
export interface PendingSend {
  readonly alert: Alert;
  readonly sink: string;
  /** Sends tried so far. */
  attempts: number;
  /** Epoch ms (wall clock) of the next try. */
  nextAt: number;
}
