/**
 * `GET /readyz`: can this gateway decide transfers now? The counter store answers a cheap read
 * within a short timeout, a policy is loaded, and the evidence log still accepts appends. Answers
 * which check failed and nothing else (it is open to probes, without the token). An emergency stop
 * does not make a gateway unready: it answers every transfer (with 503 XB_EMERGENCY_STOP), and a load
 * balancer that took it out would hide that answer.
 */
import { chinaYear, type Clock } from '../clock.js';
import type { CounterStore } from '../count/store/types.js';
import type { EvidenceHealth } from '../observability/evidence-health.js';
import type { PolicySnapshot } from '../policy/snapshot.js';

/** How long the store may take to answer the readiness read, ms. */
export const READY_STORE_TIMEOUT_MS = 1_000;

export type Check = 'ok' | 'failed';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: { readonly store: Check; readonly policy: Check; readonly evidence: Check };
}

export interface ReadinessSources {
  readonly store: Pick<CounterStore, 'keyFingerprint'>;
  readonly snapshot: () => PolicySnapshot | undefined;
  readonly evidence: Pick<EvidenceHealth, 'failure'>;
  readonly clock: Clock;
  readonly timeoutMs?: number;
}

export async function readiness(s: ReadinessSources): Promise<Readiness> {
  const snapshot = s.snapshot();
  const policy: Check = snapshot !== undefined && snapshot.policy.revision.length > 0 && snapshot.routes.size > 0 ? 'ok' : 'failed';
  const evidence: Check = s.evidence.failure() === undefined ? 'ok' : 'failed';
  const store: Check = (await answers(Promise.resolve().then(() => s.store.keyFingerprint(chinaYear(s.clock.now()))), s.timeoutMs ?? READY_STORE_TIMEOUT_MS)) ? 'ok' : 'failed';
  return { ready: store === 'ok' && policy === 'ok' && evidence === 'ok', checks: { store, policy, evidence } };
}

/** Did `p` resolve within `ms`? */
async function answers(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
