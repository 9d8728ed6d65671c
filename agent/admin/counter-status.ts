/**
 * A counter as ops and the DPO read it: its exact persons and each threshold on it, how far along
 * it is, and the filing that covers it. One rendering for `GET /api/status` and `xborder counts show`.
 */
import { coveringFiling } from '../decide/filings.js';
import { appliesToCompany, describeThreshold } from '../decide/index.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import type { Counter } from '../policy/types.js';

/** Every counter of the loaded policy, once: a positive list's domain shares its fallback's counters. */
export function policyCounters(snapshot: PolicySnapshot): Map<string, Counter> {
  return new Map([...snapshot.policy.domains.values()].flatMap((d) => [...d.limited, d.general, d.sensitive].map((c) => [c.ref, c] as const)));
}

/**
 * A counter's status on `day` (China time). A filing's coverage can depend on the recipient; this
 * reports the filing that covers the rule for any recipient (routes with other recipients may
 * still be refused).
 */
export function counterStatus(c: Counter, exact: number, snapshot: PolicySnapshot, day: string) {
  return {
    counter: c.ref,
    kind: c.kind,
    exact,
    // Items for CIIOs only (or for non-CIIOs only) do not apply to this company (Order 16 Art. 7(1)).
    thresholds: c.rules.filter((r) => appliesToCompany(r, snapshot.ciio)).map((r) => {
      const recipients = [...snapshot.routes.values()].filter((route) => route.counters.has(c.ref)).map((route) => route.recipient.name);
      const filing = recipients.map((name) => coveringFiling(r, snapshot.filings, name, day)).find(Boolean);
      return {
        item: r.item,
        citation: r.citation,
        obligation: r.obligation,
        threshold: describeThreshold(r),
        min: r.min,
        max: r.max ?? null,
        reached: exact >= r.min,
        /** Share of the way to this threshold; null once reached (e.g. item 7's one-person band). */
        utilization: exact >= r.min ? null : Math.round((exact / r.min) * 10_000) / 10_000,
        filing: filing?.id ?? null,
      };
    }),
  };
}

export type CounterStatus = ReturnType<typeof counterStatus>;
