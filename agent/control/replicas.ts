/**
 * Replicas: several gateways sharing one counter store (issue 11, docs/deployment.md). Each one
 * registers in the store's replica registry (count/store/types.ts ReplicaStore) with its gateway
 * id, identity key fingerprint, policy revision and version, and renews it by a heartbeat.
 * In: the store, this gateway's facts, the running policy revision (reload changes it).
 * Out: at start, XB_REPLICA_KEY_MISMATCH when a live replica holds another identity key; then a
 * view of the live replicas for /api/status and the metrics, and `onDivergence` when they run
 * different policy revisions (a rolling update: allowed, reported while it lasts).
 * Never: hold or log the key itself (only its fingerprint, shortened), stop a running gateway on a
 * heartbeat failure (the store's own errors refuse transfers that must be counted), or count.
 *
 * Why a registry and not only the per-year key pin: the pin exists once a year has counts, so a
 * replica started with another key early in a year (or before the first transfer) would count
 * its persons under other person keys, each one a second time. The registry catches it at start.
 */
import type { Clock } from '../clock.js';
import type { LiveReplica, ReplicaStore } from '../count/store/types.js';
import { XbError } from '../errors.js';
import type { Logger } from '../observability/log.js';

/** A replica is live while its last heartbeat is at most this old (store's clock), ms. */
export const REPLICA_TTL_MS = 30_000;
/** Heartbeat interval: three beats per TTL, so one lost beat does not drop a live replica. */
export const HEARTBEAT_MS = 10_000;
/** Reads for status and metrics hit the store at most this often; the view is shared meanwhile. */
const READ_EVERY_MS = 1_000;

export interface ReplicaView {
  /** This gateway's id. */
  readonly self: string;
  /** Live replicas, by gateway id (this one included once registered). */
  readonly replicas: readonly {
    readonly gatewayId: string;
    readonly policyRevision: string;
    readonly version: string;
    /** Same identity key fingerprint as this gateway (false only after a race or a lapse: see heartbeat). */
    readonly sameKey: boolean;
    readonly lastSeen: string;
  }[];
  /** Distinct policy revisions among the live replicas, sorted. */
  readonly policyRevisions: readonly string[];
  /** More than one policy revision is live: a rolling update, or a replica left behind. */
  readonly policyDiverged: boolean;
  /** The last read or heartbeat failed: the view is the one before it. */
  readonly error: string | null;
}

export interface ReplicaRegistry {
  /** The live replicas, read from the store at most every second (the last view if the store fails). */
  current(): Promise<ReplicaView>;
  /** Renew this replica's entry now (also done every HEARTBEAT_MS, and after a reload). */
  heartbeat(): Promise<void>;
  /** Called whenever the set of live policy revisions becomes a new divergent set. */
  onDivergence: ((view: ReplicaView) => void) | undefined;
  /** Stop the heartbeat and remove this replica's entry (best effort: the TTL drops it anyway). */
  close(): Promise<void>;
}

export interface ReplicaDeps {
  readonly store: ReplicaStore;
  readonly gatewayId: string;
  readonly keyFingerprint: string;
  readonly policyRevision: () => string;
  readonly version: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly ttlMs?: number;
  readonly heartbeatMs?: number;
}

const short = (fp: string): string => `${fp.slice(0, 12)}…`;

/** Register this gateway (refusing with XB_REPLICA_KEY_MISMATCH), then keep it registered. */
export async function joinReplicas(deps: ReplicaDeps): Promise<ReplicaRegistry> {
  const { store, gatewayId, keyFingerprint, log } = deps;
  const ttlMs = deps.ttlMs ?? REPLICA_TTL_MS;
  const startedMs = deps.clock.now().getTime();
  const record = () => ({ gatewayId, keyFingerprint, policyRevision: deps.policyRevision(), version: deps.version, startedMs });

  const first = await store.registerReplica(record(), ttlMs);
  if (!first.registered) throw keyRefused(gatewayId, keyFingerprint, first.replicas);

  let view = toView(gatewayId, keyFingerprint, first.replicas, null);
  // 0: the first current() reads the store, so a divergence present at start reaches onDivergence once it is set.
  let readAt = 0;
  let reading: Promise<ReplicaView> | undefined;
  let alerted = '';
  let closed = false;

  const observe = (next: ReplicaView): ReplicaView => {
    const key = next.policyRevisions.join(',');
    if (next.policyDiverged && key !== alerted) {
      alerted = key;
      log.warn({ gatewayId, policyRevisions: next.policyRevisions, replicas: next.replicas.map((r) => [r.gatewayId, r.policyRevision.slice(0, 12)]) }, 'xborder.replica_policy_diverged');
      registry.onDivergence?.(next);
    } else if (!next.policyDiverged && alerted !== '') {
      alerted = '';
      log.info({ gatewayId, policyRevision: next.policyRevisions[0] ?? null }, 'xborder.replica_policy_converged');
    }
    view = next;
    readAt = Date.now();
    return next;
  };
  const failed = (err: unknown, what: string): ReplicaView => {
    const message = (err as Error).message;
    log.warn({ gatewayId, code: (err as XbError).code ?? 'XB_INTERNAL', err: { message } }, what);
    view = { ...view, error: message };
    return view;
  };

  const registry: ReplicaRegistry = {
    onDivergence: undefined,

    async current() {
      if (Date.now() - readAt < READ_EVERY_MS) return view;
      reading ??= store
        .replicas(ttlMs)
        .then((live) => observe(toView(gatewayId, keyFingerprint, live, null)))
        .catch((err: unknown) => failed(err, 'xborder.replica_read_failed'))
        .finally(() => (reading = undefined));
      return reading;
    },

    async heartbeat() {
      if (closed) return;
      try {
        const r = await store.registerReplica(record(), ttlMs);
        // Only after this replica's entry lapsed (store down past the TTL) can another key have
        // joined: keep serving (the per-year key pin still refuses its counts), and say so loudly.
        if (!r.registered) log.error({ gatewayId, code: 'XB_REPLICA_KEY_MISMATCH', detail: keyRefused(gatewayId, keyFingerprint, r.replicas).message }, 'xborder.replica_key_conflict');
        observe(toView(gatewayId, keyFingerprint, r.replicas, r.registered ? null : 'live replicas hold another identity key; this one is not registered'));
      } catch (err) {
        failed(err, 'xborder.replica_heartbeat_failed');
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await store.removeReplica(gatewayId).catch((err: unknown) => log.warn({ gatewayId, err: { message: (err as Error).message } }, 'xborder.replica_remove_failed'));
    },
  };
  const timer = setInterval(() => void registry.heartbeat(), deps.heartbeatMs ?? HEARTBEAT_MS);
  timer.unref();
  log.info({ gatewayId, replicas: view.replicas.map((r) => r.gatewayId), policyDiverged: view.policyDiverged }, 'xborder.replica_registered');
  return registry;
}

function toView(self: string, keyFingerprint: string, live: readonly LiveReplica[], error: string | null): ReplicaView {
  const policyRevisions = [...new Set(live.map((r) => r.policyRevision))].sort();
  return {
    self,
    replicas: live.map((r) => ({ gatewayId: r.gatewayId, policyRevision: r.policyRevision, version: r.version, sameKey: r.keyFingerprint === keyFingerprint, lastSeen: new Date(r.seenMs).toISOString() })),
    policyRevisions,
    policyDiverged: policyRevisions.length > 1,
    error,
  };
}

/** Which replicas hold which key (fingerprints shortened, as XB_STORE_KEY_MISMATCH words them). */
function keyRefused(gatewayId: string, keyFingerprint: string, live: readonly LiveReplica[]): XbError {
  const others = live.filter((r) => r.gatewayId !== gatewayId && r.keyFingerprint !== keyFingerprint);
  const held = [...new Set(others.map((r) => r.keyFingerprint))].map(short).join(', ');
  return new XbError(
    'XB_REPLICA_KEY_MISMATCH',
    `gateway ${gatewayId} was started with identity key ${short(keyFingerprint)}, but the running replicas ${others.map((r) => r.gatewayId).join(', ')} ` +
      `sharing this counter store use ${held}: every replica must use the same identity (HMAC) key, or each person would be counted once per key. ` +
      'Give this gateway the key the running replicas use (identity.key), or stop them all before changing the key.',
    { gatewayId, replicas: others.map((r) => r.gatewayId) },
  );
}
