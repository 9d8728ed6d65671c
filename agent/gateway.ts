/**
 * Start and stop a gateway: config → policy → snapshot → keys → store → evidence → forwarder →
 * data and admin planes. Used by `xborder start` and by the end-to-end tests, in-process.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createAdminPlane } from './admin/index.js';
import { createRecentTransfers } from './admin/recent.js';
import { createAlerter } from './alerts/index.js';
import { buildFingerprintIndex, type FingerprintIndex } from './classify/fingerprints.js';
import { systemClock, chinaYear, type Clock } from './clock.js';
import { loadConfig, type Config } from './config/load.js';
import { EMERGENCY_FILE, openEmergencyControl, type EmergencyControl } from './control/emergency.js';
import { joinReplicas } from './control/replicas.js';
import { openStore, type Store } from './count/store/index.js';
import { CountedYears } from './count/years.js';
import { hasCountedPersons } from './record/read.js';
import type { FingerprintStore } from './count/store/types.js';
import { createForwarder } from './forward/index.js';
import { loadIdentityKey, readSecret } from './identify/key.js';
import { watchEvidence } from './observability/evidence-health.js';
import { createLogger, type Logger } from './observability/log.js';
import { createMetrics } from './observability/metrics.js';
import { VERSION } from './package-root.js';
import { createPipeline } from './pipeline.js';
import { compilePolicy } from './policy/compile.js';
import { loadPacks } from './policy/load.js';
import { buildSnapshot, type PolicySnapshot } from './policy/snapshot.js';
import { startProxy } from './proxy/index.js';
import { createDataPlane } from './receive/index.js';
import { closeDraining } from './receive/listener.js';
import { prepareSpoolDir } from './receive/spool.js';
import { openEvidenceLog } from './record/index.js';
import { createReloader, type ReloadResult } from './reload.js';

export interface GatewayOptions {
  readonly configFile: string;
  readonly clock?: Clock;
  readonly log?: Logger;
}

export interface Gateway {
  readonly config: Config;
  /** `http://host:port` of the data plane and the admin plane, as bound (port 0 resolved). */
  readonly dataUrl: string;
  readonly adminUrl: string;
  /** `http://host:port` of the forward-proxy listener (agent/proxy/); undefined: no `proxy` in the config. */
  readonly proxyUrl: string | undefined;
  readonly adminToken: string;
  /** The emergency stop of this gateway (control/emergency.ts). */
  readonly emergency: EmergencyControl;
  snapshot(): PolicySnapshot;
  /** Re-read config and packs and swap them in; throws XB_ADMIN_RELOAD_REFUSED and keeps the running ones. */
  reload(): Promise<ReloadResult>;
  close(): Promise<void>;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger();
  const loaded = loadConfig(opts.configFile);
  const { config } = loaded;
  const policy = compilePolicy(loadPacks(config.policy.dir));
  let snapshot = buildSnapshot(loaded, policy);
  const identity = loadIdentityKey(config.identity.key);
  const adminToken = readSecret(config.admin.token, 'admin token', () => randomBytes(24).toString('base64url')).value;

  // One registry per gateway (tests run several in one process); every failed store call is counted.
  const metrics = createMetrics();
  const store = metrics.watchStore(await openStore(config.store));
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.error({ err }, 'xborder.close_failed'));
  };
  try {
    // Replicas sharing the store must share the identity key: XB_REPLICA_KEY_MISMATCH, naming them,
    // before the year's key pin is checked and before any evidence is written (control/replicas.ts).
    const replicas = await joinReplicas({ store, gatewayId: config.gatewayId, keyFingerprint: identity.fingerprint, policyRevision: () => snapshot.policy.revision, version: VERSION, clock, log });
    closers.push(() => replicas.close());
    const countedYears = await yearsWithCounts(store, config.evidence.dir, chinaYear(clock.now()), identity.fingerprint, log);
    const fingerprints = () => loadFingerprints(store, identity.key);
    const registered = await fingerprints();
    snapshot = buildSnapshot(loaded, policy, registered);
    const { dir, fsync, fsyncIntervalMs, segmentBytes, retentionYears } = config.evidence;
    const evidence = watchEvidence(await openEvidenceLog({ dir, gatewayId: config.gatewayId, fsync, fsyncIntervalMs, segmentBytes, retentionYears, clock, log }));
    closers.push(async () => {
      await evidence.append({ kind: 'STOP', timeMs: clock.now().getTime(), lifecycle: { policyRevision: snapshot.policy.revision, version: VERSION } });
      await evidence.close();
    });
    if (evidence.recovered) log.warn({ ...evidence.recovered }, 'xborder.evidence_torn_tail_cut');
    await evidence.append({
      kind: 'START',
      timeMs: clock.now().getTime(),
      lifecycle: { policyRevision: snapshot.policy.revision, version: VERSION, detail: config.file, keyFingerprint: identity.fingerprint },
    });

    const forwarder = createForwarder(config.upstream);
    closers.push(() => forwarder.close());
    const current = () => snapshot;
    // A stop saved by an earlier run is in force before the data plane listens (control/emergency.ts).
    const emergency = openEmergencyControl({ file: join(config.dataDir, EMERGENCY_FILE), evidence, clock, log, policyRevision: () => snapshot.policy.revision });
    const recent = createRecentTransfers();
    metrics.collectFrom({ store, snapshot: current, clock, evidence, emergency: () => emergency.state(), replicas: () => replicas.current() });
    // Alerts: the observer only enqueues; sends run in the background (agent/alerts/).
    const alerts = createAlerter({ config: config.alerts, gatewayId: config.gatewayId, snapshot: current, clock, log });
    closers.push(() => alerts.close());
    await alerts.start();
    emergency.onChange = alerts.emergencyChanged;
    replicas.onDivergence = alerts.policyDiverged;
    void replicas.current();
    const reload = createReloader({ configFile: opts.configFile, running: config, current, swap: (next) => ((snapshot = next), void replicas.heartbeat()), fingerprints, evidence, clock, log });
    // One folder per gateway: the sweep at start must never remove another process's spool files.
    // Request bodies (receive/) and pull routes' responses (pull/) are spooled there alike.
    const spoolDir = join(config.dataDir, 'spool', config.gatewayId);
    prepareSpoolDir(spoolDir);
    const spool = { memoryBytes: config.limits.memoryBytes, spoolBytes: config.limits.spoolBytes, dir: spoolDir };
    const handle = createPipeline({ snapshot: current, store, evidence, forwarder, identity, clock, log, bodyBytes: config.limits.bodyBytes, countedYears, observers: [metrics.observer, recent.observer, alerts], emergency: () => emergency.refusal(), spool });

    const data = createDataPlane({ spool, log, handle, listener: config.listen.data, routeBodyLimit: (id) => snapshot.routes.get(id)?.maxBodyBytes });
    // Closed before the forwarder, the evidence and the store: in-flight transfers finish first (drain).
    closers.push(() => closeDraining(data, config.listen.data.drainTimeoutMs, log));
    await data.listen({ host: config.listen.data.host, port: config.listen.data.port });
    const url = (a: AddressInfo | string | null) => (a && typeof a === 'object' ? `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : String(a));
    const dataUrl = url(data.server.address());
    // Forward-proxy mode: its own listener, the same pipeline (agent/proxy/, docs/proxy.md).
    const proxy = config.proxy
      ? await startProxy({ config: config.proxy, snapshot: current, handle, spool, log, metrics: metrics.proxy, clock, upstream: config.upstream, dataUrl: () => dataUrl, limits: config.listen.data, drainTimeoutMs: config.listen.data.drainTimeoutMs })
      : undefined;
    if (proxy) closers.push(() => proxy.close());
    const admin = createAdminPlane({ token: adminToken, log, snapshot: current, store, clock, gatewayId: config.gatewayId, evidence, reload, metrics: metrics.registry, transfers: recent, emergency, replicas: () => replicas.current() });
    closers.push(() => admin.close());
    await admin.listen({ host: config.listen.admin.host, port: config.listen.admin.port });

    const gateway: Gateway = {
      config,
      dataUrl,
      adminUrl: url(admin.server.address()),
      proxyUrl: proxy?.url,
      adminToken,
      emergency,
      snapshot: current,
      reload,
      close: closeAll,
    };
    log.info(
      { dataUrl: gateway.dataUrl, adminUrl: gateway.adminUrl, gatewayId: config.gatewayId, policyRevision: policy.revision, routes: [...snapshot.routes.keys()], fingerprints: registered?.size ?? 0, mode: config.mode, store: config.store.kind, keySource: identity.source },
      'xborder.started',
    );
    return gateway;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * Which years the store must already hold (count/years.ts). The key's year pin, when there is
 * one, must be this key's (else XB_STORE_KEY_MISMATCH stops the start). No pin while this gateway's
 * evidence shows persons counted this year means the store lost them: the gateway still starts
 * (admin plane, transfers without PI), refuses transfers carrying PI with XB_STORE_LOST, and says so.
 */
async function yearsWithCounts(store: Store, evidenceDir: string, year: number, keyFingerprint: string, log: Logger): Promise<CountedYears> {
  const years = new CountedYears();
  await store.checkKeyFingerprint(year, keyFingerprint);
  if ((await store.keyFingerprint(year)) !== undefined) years.add(year);
  else if (hasCountedPersons(evidenceDir, year)) {
    years.add(year);
    log.error({ code: 'XB_STORE_LOST', year, evidence: evidenceDir }, 'xborder.store_lost');
  }
  return years;
}

/** The registered fingerprints as the hot path matches them; confirmed against the store's exact set. */
export async function loadFingerprints(store: FingerprintStore, identityKey: Buffer): Promise<FingerprintIndex | undefined> {
  return buildFingerprintIndex(identityKey, await store.fingerprints(), (key) => store.hasFingerprint(key));
}
