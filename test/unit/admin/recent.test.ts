/** The recent-transfers ring (agent/admin/recent.ts): newest first, filtered, bounded, no values. */
import { describe, expect, it } from 'vitest';
import { createRecentTransfers } from '../../../agent/admin/recent.js';
import type { TransferEvent } from '../../../agent/observability/events.js';

function event(n: number, more: { route?: string; decision?: 'allow' | 'flag' | 'block'; reason?: string } = {}): TransferEvent {
  const decision = more.decision ?? 'allow';
  const reason = more.reason ?? 'within-thresholds';
  return {
    line: {
      schema: 1,
      transferId: `t-${n}`,
      route: more.route ?? 'sg',
      decision,
      reason,
      enforceWouldBlock: decision === 'block',
      rules: decision === 'block' ? ['guangxi-2025/live-commerce#6 limited 99,990+20'] : [],
      notices: [],
      dataItems: ['shipperName'],
      policyRevision: 'rev',
      filings: [],
      records: 2,
      persons: 2,
      findings: 0,
      bytes: 100 + n,
      errorCode: undefined,
      ms: { parse: 0.1 },
      upstreamStatus: decision === 'block' ? undefined : 201,
    },
    time: new Date(Date.UTC(2026, 4, 10, 0, 0, n)),
    recipient: { name: 'Example Logistics Pte. Ltd.', country: 'SG' },
    counters: [],
    admitted: decision !== 'block',
    decision: { kind: decision, rules: [], reason, enforceWouldBlock: false },
  };
}

describe('recent transfers', () => {
  it('lists newest first in the documented shape', () => {
    const recent = createRecentTransfers(10);
    recent.observer.transferDecided(event(1));
    recent.observer.transferDecided(event(2, { decision: 'block', reason: 'threshold-uncovered' }));
    expect(recent.list()).toEqual([
      {
        transferId: 't-2',
        time: '2026-05-10T00:00:02.000Z',
        route: 'sg',
        direction: 'push',
        recipient: { name: 'Example Logistics Pte. Ltd.', country: 'SG' },
        decision: 'block',
        reason: 'threshold-uncovered',
        rules: ['guangxi-2025/live-commerce#6 limited 99,990+20'],
        notices: [],
        persons: 2,
        records: 2,
        bytes: 102,
        upstreamStatus: null,
        errorCode: null,
      },
      expect.objectContaining({ transferId: 't-1', decision: 'allow', upstreamStatus: 201 }),
    ]);
  });

  it('keeps only the last `capacity` transfers', () => {
    const recent = createRecentTransfers(3);
    for (let n = 1; n <= 7; n++) recent.observer.transferDecided(event(n));
    expect(recent.list().map((t) => t.transferId)).toEqual(['t-7', 't-6', 't-5']);
    expect(recent.list({ limit: 10 })).toHaveLength(3);
  });

  it('filters by decision, route and reason, then applies the limit', () => {
    const recent = createRecentTransfers(100);
    for (let n = 1; n <= 20; n++) {
      recent.observer.transferDecided(event(n, n % 2 === 0 ? { decision: 'block', reason: 'emergency-stop', route: 'us' } : { route: 'sg' }));
    }
    expect(recent.list({ decision: 'block' }).every((t) => t.decision === 'block')).toBe(true);
    expect(recent.list({ decision: 'block' })).toHaveLength(10);
    expect(recent.list({ route: 'sg', limit: 3 }).map((t) => t.transferId)).toEqual(['t-19', 't-17', 't-15']);
    expect(recent.list({ reason: 'emergency-stop', route: 'sg' })).toEqual([]);
    expect(recent.list({ decision: 'flag' })).toEqual([]);
  });

  it('holds no data items or other content fields', () => {
    const recent = createRecentTransfers(2);
    recent.observer.transferDecided(event(1));
    expect(Object.keys(recent.list()[0] ?? {})).not.toContain('dataItems');
  });
});
