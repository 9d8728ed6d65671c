/**
 * The emergency stop in the pipeline (agent/pipeline.ts): checked when a transfer starts (refused
 * unread, no TRANSFER record) and again before forwarding, so a stop made while a large batch was
 * being inspected still keeps it from leaving (TRANSFER as decided, OUTCOME with XB_EMERGENCY_STOP).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../../agent/config/load.js';
import { openEmbeddedStore } from '../../../agent/count/store/embedded.js';
import { XbError } from '../../../agent/errors.js';
import type { TransferEvent } from '../../../agent/observability/events.js';
import { createPipeline, type TransferRequest } from '../../../agent/pipeline.js';
import { buildSnapshot } from '../../../agent/policy/snapshot.js';
import type { EvidenceEntry } from '../../../agent/record/log.js';
import { shippedPolicy, tempDir } from '../support/policy.js';

const tmp = tempDir('xb-pipeline-stop-');
const store = openEmbeddedStore(join(tmp.dir, 'store'));
afterAll(async () => {
  await store.close();
  tmp.remove();
});
const file = join(tmp.dir, 'xborder.yaml');
writeFileSync(
  file,
  stringify({
    company: { name: 'Test Co.', regime: 'guangxi' },
    routes: [{ id: 'sg', upstream: 'http://127.0.0.1:1', recipient: { name: 'R', country: 'SG' }, domain: 'guangxi-2025/live-commerce', scenario: 'cross-border-delivery', recordRoot: '$.shipments[*]' }],
  }),
);
const snapshot = buildSnapshot(loadConfig(file), shippedPolicy());
const STOP = new XbError('XB_EMERGENCY_STOP', 'halted', { since: '2026-05-10T02:00:00.000Z', by: 'ops', reason: 'incident' });

function setup(emergency: () => XbError | undefined) {
  const entries: EvidenceEntry[] = [];
  const forwarded: string[] = [];
  const events: TransferEvent[] = [];
  const handle = createPipeline({
    snapshot: () => snapshot,
    store,
    evidence: {
      append: async (e) => (entries.push(e), { seq: entries.length, hash: Buffer.alloc(32) }),
      head: () => ({ seq: entries.length, hash: Buffer.alloc(32) }),
      recovered: undefined,
      close: async () => undefined,
    },
    forwarder: {
      forward: async (url) => (forwarded.push(url.pathname + url.search), { status: 201, headers: {}, body: Readable.from([]) }),
      close: async () => undefined,
    },
    identity: { key: Buffer.alloc(32, 7), fingerprint: 'f'.repeat(64), source: 'test' },
    clock: { now: () => new Date('2026-05-10T02:00:01.000Z') },
    log: pino({ level: 'silent' }),
    observers: [{ transferDecided: (e) => events.push(e) }],
    emergency,
  });
  return { handle, entries, forwarded, events };
}

const request = (n: number): TransferRequest => ({
  routeId: 'sg',
  pathAndQuery: '/v1/shipments',
  method: 'POST',
  headers: {},
  body: { bytes: Buffer.from(JSON.stringify({ shipments: [{ orderNo: `SO-${n}`, shipperName: `发货人${n}`, shipperPhone: `139${String(n).padStart(8, '0')}` }] })), contentType: 'application/json', contentEncoding: undefined },
});

describe('the emergency stop in the pipeline', () => {
  it('refuses a transfer received while stopped unread: 503, no evidence, nothing counted or forwarded, observed as emergency-stop', async () => {
    const { handle, entries, forwarded, events } = setup(() => STOP);
    const res = await handle(request(1));
    expect(res.kind).toBe('problem');
    if (res.kind !== 'problem') return;
    expect(res.problem).toMatchObject({ status: 503, code: 'XB_EMERGENCY_STOP', transferId: res.transferId, since: '2026-05-10T02:00:00.000Z', by: 'ops', reason: 'incident' });
    expect(res.headers).toMatchObject({ 'x-xborder-decision': 'block', 'x-xborder-transfer-id': res.transferId });
    expect(entries).toEqual([]);
    expect(forwarded).toEqual([]);
    expect(events.map((e) => [e.line.decision, e.line.reason, e.line.errorCode, e.admitted])).toEqual([['block', 'emergency-stop', 'XB_EMERGENCY_STOP', false]]);
  });

  it('holds a transfer the stop caught after its decision: TRANSFER as decided, OUTCOME with the code, nothing forwarded', async () => {
    let calls = 0;
    // Running when the transfer starts; stopped by the time it would be forwarded.
    const { handle, entries, forwarded, events } = setup(() => (calls++ === 0 ? undefined : STOP));
    const res = await handle(request(2));
    expect(res.kind === 'problem' && res.problem.code).toBe('XB_EMERGENCY_STOP');
    expect(forwarded).toEqual([]);
    expect(entries.map((e) => e.kind)).toEqual(['TRANSFER', 'OUTCOME']);
    expect(entries[0]?.transfer).toMatchObject({ decision: 'allow' });
    expect(entries[1]?.outcome).toMatchObject({ upstreamStatus: 0, errorCode: 'XB_EMERGENCY_STOP' });
    expect(events.map((e) => [e.line.decision, e.line.reason, e.line.errorCode, e.decision.reason])).toEqual([['block', 'emergency-stop', 'XB_EMERGENCY_STOP', 'emergency-stop']]);
  });

  it('forwards as usual while running', async () => {
    const { handle, forwarded } = setup(() => undefined);
    const res = await handle(request(3));
    expect(res.kind).toBe('upstream');
    expect(forwarded).toEqual(['/v1/shipments']);
  });
});
