/**
 * The gateway's metrics (agent/observability/metrics.ts): the declared names, a registry per
 * gateway, the transfer observer's counts, and scrape-time values read from the store at most
 * every refreshMs (never per transfer), with utilization against the lowest uncovered threshold.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../../agent/config/load.js';
import { createMetrics } from '../../../agent/observability/metrics.js';
import type { TransferEvent } from '../../../agent/observability/events.js';
import { buildSnapshot } from '../../../agent/policy/snapshot.js';
import { XbError } from '../../../agent/errors.js';
import { shippedPolicy, tempDir } from '../support/policy.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';
const SENSITIVE = 'guangxi-2025/live-commerce/sensitive';

const tmp = tempDir('xb-metrics-');
afterAll(tmp.remove);
const file = join(tmp.dir, 'xborder.yaml');
writeFileSync(
  file,
  stringify({
    company: { name: 'Test Co.', regime: 'guangxi' },
    routes: [{ id: 'sg', upstream: 'http://127.0.0.1:1', recipient: { name: 'R', country: 'SG' }, domain: 'guangxi-2025/live-commerce', scenario: 'cross-border-delivery' }],
    filings: [
      { id: 'SC-1', kind: 'standard-contract', covers: { list: 'guangxi-2025', domains: ['live-commerce'], items: [6] }, effective: '2026-01-01', expires: '2026-06-09', filedOn: '2026-01-09' },
    ],
  }),
);
const snapshot = buildSnapshot(loadConfig(file), shippedPolicy());

const event = (route: string, decision: 'allow' | 'block', reason: string, more: Partial<TransferEvent> = {}): TransferEvent => ({
  line: {
    schema: 1, transferId: 't', route, decision, reason, enforceWouldBlock: false, rules: [], notices: [], dataItems: [], policyRevision: 'r', filings: [],
    records: 3, persons: 3, findings: 0, bytes: 1000, errorCode: undefined, ms: { parse: 0.5, classify: 1.5, count: 0.25, record: 2, forward: 12 }, upstreamStatus: 201,
  },
  time: new Date(),
  recipient: { name: 'R', country: 'SG' },
  counters: [{ counter: LIMITED, before: 0, added: 3, after: 3 }],
  admitted: decision !== 'block',
  decision: { kind: decision, rules: [], reason, enforceWouldBlock: false },
  ...more,
});

/** The value of one sample line (`name{labels} value`) in Prometheus text. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('gateway metrics', () => {
  it('declares every documented name, in a registry of its own', async () => {
    const a = createMetrics();
    const b = createMetrics();
    expect(a.registry).not.toBe(b.registry);
    const text = await a.registry.metrics();
    for (const name of [
      'xborder_transfers_total', 'xborder_transfer_bytes_total', 'xborder_persons_added_total', 'xborder_counter_persons', 'xborder_counter_utilization',
      'xborder_stage_seconds', 'xborder_store_errors_total', 'xborder_evidence_head_seq', 'xborder_evidence_lag_seconds', 'xborder_emergency_stop',
      'xborder_filing_expiry_days', 'xborder_process_cpu_seconds_total', 'xborder_nodejs_heap_size_used_bytes',
    ])
      expect(text, name).toContain(`# TYPE ${name} `);
  });

  it('counts transfers by route, decision and reason; bytes; persons added by admitted ones only; stage times in seconds', async () => {
    const m = createMetrics();
    m.observer.transferDecided(event('sg', 'allow', 'within-thresholds'));
    m.observer.transferDecided(event('sg', 'allow', 'within-thresholds'));
    m.observer.transferDecided(event('sg', 'block', 'emergency-stop', { counters: [] }));
    m.observer.transferDecided(event('sg', 'block', 'threshold-uncovered'));
    const text = await m.registry.metrics();
    expect(sample(text, 'xborder_transfers_total', 'route="sg",decision="allow",reason="within-thresholds"')).toBe(2);
    expect(sample(text, 'xborder_transfers_total', 'route="sg",decision="block",reason="emergency-stop"')).toBe(1);
    expect(sample(text, 'xborder_transfer_bytes_total', 'route="sg"')).toBe(4000);
    expect(sample(text, 'xborder_persons_added_total', `counter="${LIMITED}"`)).toBe(6);
    expect(sample(text, 'xborder_stage_seconds_count', 'stage="forward"')).toBe(4);
    expect(sample(text, 'xborder_stage_seconds_sum', 'stage="forward"')).toBeCloseTo(0.048);
    expect(sample(text, 'xborder_stage_seconds_count', 'stage="decide"')).toBeUndefined();
  });

  it('reads the counters at scrape time, at most every refreshMs, with utilization of the lowest uncovered threshold', async () => {
    const m = createMetrics();
    let now = new Date('2026-05-10T04:00:00Z');
    let reads = 0;
    const exact = new Map([[LIMITED, 500_000], [GENERAL, 50_000], [SENSITIVE, 5]]);
    const store = { counts: async () => (reads++, exact) };
    m.collectFrom({
      store, snapshot: () => snapshot, clock: { now: () => now }, refreshMs: 5_000,
      evidence: { head: () => ({ seq: 42 }), lastAppendMs: () => now.getTime() - 1_500 },
      emergency: () => ({ stopped: true }),
    });
    for (let i = 0; i < 50; i++) m.observer.transferDecided(event('sg', 'allow', 'within-thresholds'));
    expect(reads).toBe(0);
    const text = await m.registry.metrics();
    expect(reads).toBe(1);
    expect(sample(text, 'xborder_counter_persons', `counter="${LIMITED}"`)).toBe(500_000);
    // Item 6 (100,000) is covered by SC-1 and reached: next is item 4, 2,000,000.
    expect(sample(text, 'xborder_counter_utilization', `counter="${LIMITED}"`)).toBe(0.25);
    // Nothing covers the general counter: item 7 at 100,000.
    expect(sample(text, 'xborder_counter_utilization', `counter="${GENERAL}"`)).toBe(0.5);
    // Item 7's one-person band (min 1) is uncovered and reached: 5 ÷ 1, past an uncovered threshold.
    expect(sample(text, 'xborder_counter_utilization', `counter="${SENSITIVE}"`)).toBe(5);
    expect(sample(text, 'xborder_evidence_head_seq')).toBe(42);
    expect(sample(text, 'xborder_evidence_lag_seconds')).toBe(1.5);
    expect(sample(text, 'xborder_emergency_stop')).toBe(1);
    expect(sample(text, 'xborder_filing_expiry_days', 'filing="SC-1"')).toBe(30);

    await m.registry.metrics();
    expect(reads).toBe(1);
    now = new Date(now.getTime() + 5_000);
    exact.set(LIMITED, 2_000_000);
    const later = await m.registry.metrics();
    expect(reads).toBe(2);
    expect(sample(later, 'xborder_counter_persons', `counter="${LIMITED}"`)).toBe(2_000_000);
    // At item 4's 2,000,000, which no filing covers: 1 (the alert rules fire at ≥ 1).
    expect(sample(later, 'xborder_counter_utilization', `counter="${LIMITED}"`)).toBe(1);
  });

  it('counts every failed store call by code, leaving results and errors as they were', async () => {
    const m = createMetrics();
    const store = m.watchStore({
      kind: 'redis' as const,
      ok: async () => 7,
      down: async () => {
        throw new XbError('XB_STORE_UNAVAILABLE', 'gone');
      },
      sync: () => {
        throw new Error('boom');
      },
    });
    expect(store.kind).toBe('redis');
    expect(await store.ok()).toBe(7);
    await expect(store.down()).rejects.toMatchObject({ code: 'XB_STORE_UNAVAILABLE' });
    await expect(store.down()).rejects.toThrow('gone');
    expect(() => store.sync()).toThrow('boom');
    const text = await m.registry.metrics();
    expect(sample(text, 'xborder_store_errors_total', 'code="XB_STORE_UNAVAILABLE"')).toBe(2);
    expect(sample(text, 'xborder_store_errors_total', 'code="XB_INTERNAL"')).toBe(1);
  });
});
