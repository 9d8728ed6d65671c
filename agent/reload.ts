/**
 * Hot reload (admin `POST /api/reload`, SIGHUP): read the config, the packs and the registered
 * fingerprints again, validate them with the same code as start, and swap the whole snapshot at
 * once. Transfers in flight keep the snapshot they started with. A broken config or pack is
 * refused and the running one kept. Keys that only a restart can change (listeners, store, keys,
 * evidence, limits) are reported.
 */
import type { FingerprintIndex } from './classify/fingerprints.js';
import type { Clock } from './clock.js';
import { loadConfig, type Config } from './config/load.js';
import { XbError, toXbError } from './errors.js';
import type { Logger } from './observability/log.js';
import { VERSION } from './package-root.js';
import { compilePolicy } from './policy/compile.js';
import { loadPacks } from './policy/load.js';
import { buildSnapshot, type PolicySnapshot } from './policy/snapshot.js';
import type { EvidenceLog } from './record/index.js';

export interface ReloadResult {
  readonly policyRevision: string;
  readonly previousRevision: string;
  /** Config keys that changed but take effect only after a restart. */
  readonly restartRequired: readonly string[];
}

/** Config read only at start (listeners, store, keys, evidence; the body limit is fastify's). */
const RESTART_ONLY: Record<string, (c: Config) => unknown> = {
  gatewayId: (c) => c.gatewayId,
  dataDir: (c) => c.dataDir,
  listen: (c) => c.listen,
  'limits.memoryBytes': (c) => c.limits.memoryBytes,
  'limits.spoolBytes': (c) => c.limits.spoolBytes,
  'limits.bodyBytes': (c) => c.limits.bodyBytes,
  store: (c) => c.store,
  identity: (c) => c.identity,
  admin: (c) => c.admin,
  evidence: (c) => c.evidence,
  alerts: (c) => c.alerts,
  // The forward-proxy listener, its CA and host lists are read once at start (agent/proxy/).
  proxy: (c) => c.proxy,
};

/** Build the load-validate-swap function for one gateway. Reloads run one at a time. */
export function createReloader(opts: {
  configFile: string;
  running: Config;
  current: () => PolicySnapshot;
  swap: (next: PolicySnapshot) => void;
  /** The registered fingerprints, read again on every reload (`xborder fingerprints add` while running). */
  fingerprints?: () => Promise<FingerprintIndex | undefined>;
  evidence: EvidenceLog;
  clock: Clock;
  log: Logger;
}): () => Promise<ReloadResult> {
  let queue: Promise<unknown> = Promise.resolve();
  const reloadOnce = async (): Promise<ReloadResult> => {
    const previous = opts.current();
    let next: PolicySnapshot;
    let config: Config;
    try {
      const loaded = loadConfig(opts.configFile);
      config = loaded.config;
      next = buildSnapshot(loaded, compilePolicy(loadPacks(config.policy.dir)), await opts.fingerprints?.());
    } catch (err) {
      const cause = toXbError(err);
      opts.log.warn({ code: cause.code }, 'xborder.reload_refused');
      throw new XbError('XB_ADMIN_RELOAD_REFUSED', `reload refused, the running config and policy are kept: ${cause.message}`, {
        cause: cause.code,
        issues: cause.details?.['issues'] ?? [],
      });
    }
    const restartRequired = Object.entries(RESTART_ONLY)
      .filter(([, read]) => JSON.stringify(read(config)) !== JSON.stringify(read(opts.running)))
      .map(([key]) => key);
    // Recorded before the swap: no transfer is decided under a revision the chain has not seen.
    await opts.evidence.append({
      kind: 'RELOAD',
      timeMs: opts.clock.now().getTime(),
      lifecycle: { policyRevision: next.policy.revision, version: VERSION, detail: JSON.stringify({ previousRevision: previous.policy.revision, restartRequired }) },
    });
    opts.swap(next);
    const result = { policyRevision: next.policy.revision, previousRevision: previous.policy.revision, restartRequired };
    opts.log.info({ ...result, routes: [...next.routes.keys()], filings: next.filings.map((f) => f.id) }, 'xborder.reloaded');
    return result;
  };
  return () => {
    const run = queue.then(reloadOnce, reloadOnce);
    queue = run.catch(() => undefined);
    return run;
  };
}
