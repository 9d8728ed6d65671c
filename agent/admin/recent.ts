/**
 * The most recent decided transfers, in memory (`GET /api/transfers`, the dashboard): a ring of the
 * last `capacity` events, filled by a TransferObserver (one slot write per transfer; the JSON shape
 * is built only when read). What it keeps is what the decision line holds: ids, counts, codes and
 * citations, never a value from a body. Per process: lost on restart (evidence is the record).
 */
import type { TransferEvent, TransferObserver } from '../observability/events.js';

/** Default and largest number of transfers kept and returned. */
export const RECENT_CAPACITY = 1_000;

export interface RecentTransfer {
  readonly transferId: string;
  /** ISO time the transfer was received. */
  readonly time: string;
  readonly route: string;
  /** push: a request body sent abroad; pull: a response an overseas caller pulled (the recipient). */
  readonly direction: 'push' | 'pull';
  readonly recipient: { readonly name: string; readonly country: string };
  readonly decision: string;
  readonly reason: string;
  /** Rule citations in short form (`guangxi-2025/live-commerce#6 limited 99,990+20`). */
  readonly rules: readonly string[];
  /** Notice codes. */
  readonly notices: readonly string[];
  readonly persons: number;
  readonly records: number;
  readonly bytes: number;
  readonly upstreamStatus: number | null;
  readonly errorCode: string | null;
}

export interface RecentFilter {
  readonly decision?: string | undefined;
  readonly route?: string | undefined;
  readonly reason?: string | undefined;
  /** At most this many (default and cap: the capacity). */
  readonly limit?: number | undefined;
}

export interface RecentTransfers {
  readonly observer: TransferObserver;
  /** Newest first, filtered. */
  list(filter?: RecentFilter): RecentTransfer[];
}

/** What a slot keeps of an event: never its counters (they hold the transfer's person keys). */
type Kept = Pick<TransferEvent, 'line' | 'time' | 'recipient'>;

export function createRecentTransfers(capacity = RECENT_CAPACITY): RecentTransfers {
  const ring: (Kept | undefined)[] = new Array<Kept | undefined>(capacity);
  let next = 0;
  return {
    observer: {
      transferDecided(event) {
        ring[next] = { line: event.line, time: event.time, recipient: event.recipient };
        next = (next + 1) % capacity;
      },
    },
    list(filter = {}) {
      const limit = Math.min(filter.limit ?? capacity, capacity);
      const out: RecentTransfer[] = [];
      for (let i = 1; i <= capacity && out.length < limit; i++) {
        const e = ring[(next - i + capacity) % capacity];
        if (!e) break;
        const { line } = e;
        if (filter.decision !== undefined && line.decision !== filter.decision) continue;
        if (filter.route !== undefined && line.route !== filter.route) continue;
        if (filter.reason !== undefined && line.reason !== filter.reason) continue;
        out.push(view(e));
      }
      return out;
    },
  };
}

function view(e: Kept): RecentTransfer {
  const { line } = e;
  return {
    transferId: line.transferId,
    time: e.time.toISOString(),
    route: line.route,
    direction: line.direction ?? 'push',
    recipient: { name: e.recipient.name, country: e.recipient.country },
    decision: line.decision,
    reason: line.reason,
    rules: line.rules,
    notices: line.notices,
    persons: line.persons,
    records: line.records,
    bytes: line.bytes,
    upstreamStatus: line.upstreamStatus ?? null,
    errorCode: line.errorCode ?? null,
  };
}
