/**
 * The replica registry (agent/control/replicas.ts) on a real embedded store: a replica under
 * another identity key is refused at start even when no year has counts (no key pin to catch it),
 * the view shows who runs which policy revision, a divergence is reported once per set of
 * revisions, and a clean close leaves the registry. The Redis side of the same store methods is
 * in test/unit/count/store-contract.test.ts; three processes on Redis in test/e2e/replicas.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { joinReplicas, type ReplicaRegistry, type ReplicaView } from '../../../agent/control/replicas.js';
import { openEmbeddedStore } from '../../../agent/count/store/embedded.js';
import { XbError } from '../../../agent/errors.js';
import { policyDivergence } from '../../../agent/alerts/rules.js';

const KEY_A = 'a1'.repeat(32);
const KEY_B = 'b2'.repeat(32);
const clock = { now: () => new Date() };
const log = pino({ level: 'silent' });

let dir: string;
let store: ReturnType<typeof openEmbeddedStore>;
const joined: ReplicaRegistry[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xb-replicas-'));
  store = openEmbeddedStore(join(dir, 'store'));
});
afterEach(async () => {
  for (const r of joined.splice(0)) await r.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const join_ = async (gatewayId: string, keyFingerprint = KEY_A, revision = 'rev-1'): Promise<ReplicaRegistry> => {
  let policyRevision = revision;
  const r = await joinReplicas({ store, gatewayId, keyFingerprint, policyRevision: () => policyRevision, version: '0.1.0', clock, log, heartbeatMs: 3_600_000 });
  joined.push(r);
  // Lets a test move this replica to another policy (a reload) before its next heartbeat.
  Object.assign(r, { setRevision: (v: string) => (policyRevision = v) });
  return r;
};

describe('joining the replicas', () => {
  it('refuses another identity key while a replica under the first is live, though no year has counts (no key pin)', async () => {
    await join_('gw-1');
    expect(await store.keyFingerprint(new Date().getFullYear())).toBeUndefined();
    const err = await join_('gw-2', KEY_B).then(
      () => new Error('joined'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(XbError);
    expect((err as XbError).code).toBe('XB_REPLICA_KEY_MISMATCH');
    // Clear: who runs, under which key (shortened fingerprints only), and what to do.
    expect((err as XbError).message).toContain('gateway gw-2 was started with identity key b2b2b2b2b2b2…');
    expect((err as XbError).message).toContain('running replicas gw-1 sharing this counter store use a1a1a1a1a1a1…');
    expect((err as XbError).message).not.toContain(KEY_A);
    expect((err as XbError).details).toEqual({ gatewayId: 'gw-2', replicas: ['gw-1'] });
    // Refused before it wrote anything.
    expect((await store.replicas(60_000)).map((r) => r.gatewayId)).toEqual(['gw-1']);
  });

  it('accepts replicas under the same key, and another key once the others have left cleanly', async () => {
    const one = await join_('gw-1');
    await join_('gw-2');
    expect((await store.replicas(60_000)).map((r) => r.gatewayId)).toEqual(['gw-1', 'gw-2']);
    await one.close();
    const [, two] = joined.splice(0, 2);
    await two?.close();
    expect(await store.replicas(60_000)).toEqual([]);
    await expect(join_('gw-3', KEY_B)).resolves.toBeDefined();
  });
});

describe('the view of the replicas', () => {
  it('shows each live replica with its policy revision, and a divergence once per set of revisions', async () => {
    const seen: ReplicaView[] = [];
    const one = await join_('gw-1', KEY_A, 'rev-1');
    one.onDivergence = (v) => seen.push(v);
    const two = (await join_('gw-2', KEY_A, 'rev-1')) as ReplicaRegistry & { setRevision(v: string): void };

    const agreed = await one.current();
    expect(agreed.replicas.map((r) => [r.gatewayId, r.policyRevision, r.sameKey])).toEqual([
      ['gw-1', 'rev-1', true],
      ['gw-2', 'rev-1', true],
    ]);
    expect(agreed).toMatchObject({ self: 'gw-1', policyRevisions: ['rev-1'], policyDiverged: false, error: null });

    // gw-2 reloads to rev-2: its heartbeat publishes it; gw-1 sees it on its next read.
    two.setRevision('rev-2');
    await two.heartbeat();
    await one.heartbeat();
    const diverged = await one.current();
    expect(diverged).toMatchObject({ policyRevisions: ['rev-1', 'rev-2'], policyDiverged: true });
    expect(seen).toHaveLength(1);
    await one.heartbeat();
    expect(seen).toHaveLength(1);

    // Both on rev-2: agreed again; a later divergence to rev-3 is a new set and reported again.
    (one as ReplicaRegistry & { setRevision(v: string): void }).setRevision('rev-2');
    await one.heartbeat();
    expect((await one.current()).policyDiverged).toBe(false);
    two.setRevision('rev-3');
    await two.heartbeat();
    await one.heartbeat();
    expect(seen.map((v) => v.policyRevisions)).toEqual([
      ['rev-1', 'rev-2'],
      ['rev-2', 'rev-3'],
    ]);
  });
});

describe('the policy-divergence alert (agent/alerts/rules.ts)', () => {
  const time = new Date('2026-05-10T02:00:00.000Z');
  const replicas = [
    { gatewayId: 'gw-1', policyRevision: '1111111111111111aaaa' },
    { gatewayId: 'gw-2', policyRevision: '2222222222222222bbbb' },
  ];

  it('fires once per set of revisions, naming each replica and its revision (shortened), in both languages', () => {
    const [c] = policyDivergence(replicas, time, 'gw-1', () => false);
    expect(c?.alert).toMatchObject({ kind: 'policy-divergence', severity: 'warning', value: 2, gatewayId: 'gw-1', time: time.toISOString() });
    expect(c?.alert?.text.en).toContain('gw-1: 111111111111, gw-2: 222222222222');
    expect(c?.alert?.text.zh).toContain('策略版本不一致');
    const id = c?.alert?.id as string;
    expect(policyDivergence([...replicas].reverse(), time, 'gw-2', (k) => k === id)).toEqual([]);
    expect(policyDivergence([replicas[0] as (typeof replicas)[number]], time, 'gw-1', () => false)).toEqual([]);
    const third = policyDivergence([...replicas, { gatewayId: 'gw-3', policyRevision: '3333' }], time, 'gw-1', (k) => k === id);
    expect(third[0]?.alert?.id).not.toBe(id);
  });
});
