/** Open the configured counter store. */
import { existsSync, readFileSync } from 'node:fs';
import { XbError } from '../../errors.js';
import type { StoreConfig } from '../../config/load.js';
import type { SecretSourceConfig } from '../../config/schema.js';
import { openEmbeddedStore } from './embedded.js';
import { openRedisStore } from './redis.js';
import type { CounterStore, FingerprintStore, ReplicaStore } from './types.js';

export type Store = CounterStore & FingerprintStore & ReplicaStore;

export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.kind === 'embedded') return openEmbeddedStore(config.path);
  return openRedisStore({
    ...(config.url !== undefined ? { url: config.url } : {}),
    ...(config.cluster !== undefined ? { cluster: config.cluster } : {}),
    ...(config.sentinel !== undefined ? { sentinel: config.sentinel } : {}),
    ...(config.password !== undefined ? { password: readPassword(config.password) } : {}),
    keyPrefix: config.keyPrefix,
    timeoutMs: config.timeoutMs,
    waitReplicas: config.waitReplicas,
  });
}

/** The store, if there is one to read: a dry run never creates an embedded store's folder. */
export async function openStoreIfExists(config: StoreConfig): Promise<Store | undefined> {
  if (config.kind === 'embedded' && !existsSync(config.path)) return undefined;
  return openStore(config);
}

/** The Redis password, from a file or an environment variable (never inline in the config). */
function readPassword(src: SecretSourceConfig): string {
  if (src.file) {
    try {
      return readFileSync(src.file, 'utf8').trim();
    } catch (err) {
      throw new XbError('XB_KEY_INVALID', `store.password file ${src.file} cannot be read: ${(err as Error).message}`);
    }
  }
  const value = src.env ? process.env[src.env]?.trim() : undefined;
  if (!value) throw new XbError('XB_KEY_INVALID', `store.password: environment variable ${src.env ?? '(none given)'} is not set`);
  return value;
}
