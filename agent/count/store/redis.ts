/**
 * The Redis counter store: single node, Sentinel or Cluster (ioredis). Same contract as the
 * embedded store (types.ts); the check-and-add of a transfer is one Lua script
 * (check-and-add.lua), so replicas sharing a Redis never both slip under a threshold.
 *
 * Keys (every key of one company-year shares the hash tag, so the script runs on Cluster):
 *   {<prefix>:<year>}:meta            hash: keyfp → identity key fingerprint
 *   {<prefix>:<year>}:counters        set of counter refs with members
 *   {<prefix>:<year>}:sketches        set of sketch names
 *   {<prefix>:<year>}:set:<counter>   the exact set of 16-byte person keys
 *   {<prefix>:<year>}:hll:<sketch>    HLL registers (count/hll.ts), a 16 KiB string
 *   {<prefix>:<year>}:daily:<counter> hash: China day → persons added that day (projections)
 *   {<prefix>}:fingerprints           hash: base64(HMAC key) → normalized value length
 *   {<prefix>}:replicas               hash: gateway id → `<seenMs>|<JSON>` (the replica registry,
 *                                     control/replicas.ts; seenMs by the Redis server's TIME)
 *
 * Failure: commands time out after `timeoutMs` and are never queued while disconnected
 * (enableOfflineQueue off), so a transfer fails fast with XB_STORE_UNAVAILABLE (fail-closed,
 * DESIGN). A script that timed out on the client may still have run: that can only over-count.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { XbError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../package-root.js';
import type { CountEntry } from '../../types.js';
import { emptyRegisters, packedUpdates } from '../hll.js';
import type { Range } from '../ranges.js';
import { keyMismatch, storeLost } from './errors.js';
import { byGatewayId, decodeReplica, encodeReplica, type CheckAndAddOptions, type CheckAndAddResult, type CounterStore, type FingerprintStore, type LiveReplica, type ReplicaStore, type StoredDelta, type StoredFingerprint } from './types.js';

export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` for a single node. */
  readonly url?: string;
  /** Seed nodes `host:port` of a Cluster. */
  readonly cluster?: readonly string[];
  readonly sentinel?: { readonly name: string; readonly sentinels: readonly string[] };
  /** Every key holds the hash tag `{<keyPrefix>:<year>}`. */
  readonly keyPrefix: string;
  readonly timeoutMs: number;
  readonly password?: string;
  /**
   * Replicas that must acknowledge a transfer's additions (Redis WAIT) before it may be
   * forwarded; single node and Sentinel only. 0: Redis's asynchronous replication, where a
   * failover can lose the last additions (then `counts rebuild` restores them).
   */
  readonly waitReplicas?: number;
}

type Client = Redis | Cluster;
type Reply = (string | number)[];

const SCRIPT = readFileSync(join(PACKAGE_ROOT, 'agent', 'count', 'store', 'check-and-add.lua'), 'utf8');
const ADD_FINGERPRINTS = `local added = 0
for i = 1, #ARGV, 2 do added = added + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
return added`;
/**
 * The replica registry in one script, on the server's clock (no skew between the replicas' hosts).
 * KEYS[1] the registry hash; ARGV: ttlMs, and to register: gateway id, key fingerprint, the entry
 * without its time. Expired entries are dropped; a live entry of another gateway id under another
 * key fingerprint refuses the registration. Returns { registered 0|1, now, entry... }.
 */
const REGISTER_REPLICA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local live = {}
local conflict = false
for i = 1, #all, 2 do
  local seen = tonumber(string.match(all[i + 1], '^(%d+)|'))
  if seen == nil or now - seen > ttl then
    redis.call('HDEL', KEYS[1], all[i])
  elseif all[i] ~= ARGV[2] then
    live[#live + 1] = all[i + 1]
    local fp = string.match(all[i + 1], '"keyFingerprint":"([^"]*)"')
    if fp ~= ARGV[3] then conflict = true end
  end
end
if conflict then
  local own = redis.call('HGET', KEYS[1], ARGV[2])
  if own then live[#live + 1] = own end
  return { 0, now, unpack(live) }
end
local entry = now .. '|' .. ARGV[4]
redis.call('HSET', KEYS[1], ARGV[2], entry)
live[#live + 1] = entry
return { 1, now, unpack(live) }`;
/** The registry read on the node that holds it, with that node's time: { now, entry... }. */
const LIST_REPLICAS = `local t = redis.call('TIME')
return { tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), unpack(redis.call('HVALS', KEYS[1])) }`;

export async function openRedisStore(opts: RedisStoreOptions): Promise<CounterStore & FingerprintStore & ReplicaStore> {
  const client = connect(opts);
  client.defineCommand('xbCheckAndAdd', { lua: SCRIPT });
  client.defineCommand('xbAddFingerprints', { lua: ADD_FINGERPRINTS, numberOfKeys: 1 });
  client.defineCommand('xbRegisterReplica', { lua: REGISTER_REPLICA, numberOfKeys: 1 });
  client.defineCommand('xbListReplicas', { lua: LIST_REPLICAS, numberOfKeys: 1 });
  // Surfaced per command as XB_STORE_UNAVAILABLE; the last one explains a failed connect.
  let lastError: Error | undefined;
  client.on('error', (err: Error) => (lastError = err));
  try {
    await withTimeout(client.connect(), opts.timeoutMs * 5, 'connecting');
  } catch (err) {
    client.disconnect();
    const why = lastError && lastError.message !== (err as Error).message ? ` (${lastError.message})` : '';
    throw unavailable(err, `cannot connect to ${where(opts)}${why}`);
  }

  const tag = (year: number) => `{${opts.keyPrefix}:${year}}`;
  const printsKey = `{${opts.keyPrefix}}:fingerprints`;
  const replicasKey = `{${opts.keyPrefix}}:replicas`;
  let printCache = new Set<string>();
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw unavailable(err, what);
    }
  };

  const script = async (year: number, keyFingerprint: string, entries: readonly CountEntry[], mode: 'add' | 'peek', options: CheckAndAddOptions): Promise<CheckAndAddResult> => {
    const t = tag(year);
    const keys = [`${t}:meta`, `${t}:counters`, `${t}:sketches`];
    const scriptMode = mode === 'add' && options.pin === false ? 'fill' : mode;
    const args: (string | Buffer)[] = [keyFingerprint, options.expectCounted ? '1' : '0', scriptMode, String(entries.length), String(options.unions.length)];
    const everyone = new Map<string, Buffer>();
    const perEntry: (string | Buffer)[] = [];
    for (const e of entries) {
      const members = distinct(e.members);
      for (const m of members) everyone.set(m.toString('latin1'), m);
      keys.push(`${t}:set:${e.counter}`, `${t}:hll:counter:${e.counter}`, `${t}:daily:${e.counter}`);
      perEntry.push(e.counter, Buffer.concat(members), mode === 'add' ? packedUpdates(members) : '', rangeSpec(e.blocked));
    }
    for (const u of options.unions) keys.push(`${t}:hll:${u}`);
    args.push(mode === 'add' && options.unions.length > 0 ? packedUpdates(everyone.values()) : '', options.day ?? '', ...perEntry, ...options.unions);
    const reply = (await call('counting', () => (client as unknown as ScriptClient).xbCheckAndAdd(keys.length, ...keys, ...args))) as Reply;
    if (reply[0] === 'LOST') throw storeLost(year);
    if (reply[0] === 'MISMATCH') throw keyMismatch(year, String(reply[1]), keyFingerprint);
    const counters: StoredDelta[] = entries.map((e, i) => {
      const before = Number(reply[2 + i * 2]);
      const added = Number(reply[3 + i * 2]);
      return { counter: e.counter, before, added, after: before + added };
    });
    const admitted = reply[1] === 1;
    if (admitted && mode === 'add' && opts.waitReplicas) await replicated(opts.waitReplicas);
    return { admitted, counters };
  };

  /** Refuse a transfer whose additions the replicas did not take: a failover could lose them. */
  const replicated = async (replicas: number): Promise<void> => {
    const acked = await call('waiting for replicas', () => (client as Redis).wait(replicas, opts.timeoutMs));
    if (acked < replicas) {
      throw new XbError(
        'XB_STORE_UNAVAILABLE',
        `Redis store: ${acked} of ${replicas} replicas (store.waitReplicas) acknowledged within ${opts.timeoutMs} ms; the persons stay counted on the master (an over-count if the transfer is never resent), the transfer is refused`,
      );
    }
  };

  const keyFingerprint = async (year: number): Promise<string | undefined> =>
    (await call('reading the key fingerprint', () => client.hget(`${tag(year)}:meta`, 'keyfp'))) ?? undefined;

  return {
    kind: 'redis',

    checkAndAdd: (year, keyFingerprint, entries, options) => script(year, keyFingerprint, entries, 'add', options),

    peek: (year, entries) => script(year, '', entries, 'peek', { expectCounted: false, unions: [] }),

    async counts(year) {
      const t = tag(year);
      const names = await call('reading counters', () => client.smembers(`${t}:counters`));
      const sizes = await Promise.all(names.map((n) => call('reading counters', () => client.scard(`${t}:set:${n}`))));
      return new Map(names.map((n, i) => [n, sizes[i] ?? 0]));
    },

    async sketch(year, name) {
      const stored = await call('reading a sketch', () => client.getBuffer(`${tag(year)}:hll:${name}`));
      if (!stored) return undefined;
      // SETRANGE leaves the string as long as its highest register touched: the rest are zeros.
      const registers = emptyRegisters();
      stored.copy(registers, 0, 0, Math.min(stored.length, registers.length));
      return registers;
    },

    async sketchNames(year) {
      return call('reading sketches', () => client.smembers(`${tag(year)}:sketches`));
    },

    keyFingerprint,

    async daily(year, counter) {
      const days = await call('reading the daily series', () => client.hgetall(`${tag(year)}:daily:${counter}`));
      return new Map(Object.entries(days).map(([day, n]) => [day, Number(n)]));
    },

    async checkKeyFingerprint(year, given) {
      const stored = await keyFingerprint(year);
      if (stored !== undefined && stored !== given) throw keyMismatch(year, stored, given);
    },

    async addFingerprints(fingerprints: readonly StoredFingerprint[]) {
      if (fingerprints.length === 0) return 0;
      const args = fingerprints.flatMap((f) => [f.key.toString('base64'), String(f.length)]);
      const added = await call('registering fingerprints', () => (client as unknown as ScriptClient).xbAddFingerprints(printsKey, ...args));
      return Number(added);
    },

    async fingerprints() {
      const all = await call('reading fingerprints', () => client.hgetall(printsKey));
      printCache = new Set(Object.keys(all));
      return Object.entries(all).map(([k, v]) => ({ key: Buffer.from(k, 'base64'), length: Number(v) }));
    },

    hasFingerprint: (key) => printCache.has(key.toString('base64')),

    fingerprintCount: () => call('reading fingerprints', () => client.hlen(printsKey)),

    async registerReplica(replica, ttlMs) {
      const entry = encodeReplica(replica, 0).slice(2); // the JSON part; the script prefixes its own time
      const reply = (await call('registering the replica', () =>
        (client as unknown as ScriptClient).xbRegisterReplica(replicasKey, String(ttlMs), replica.gatewayId, replica.keyFingerprint, entry),
      )) as Reply;
      const replicas = reply.slice(2).map((raw) => decodeReplica(String(raw))).filter((r): r is LiveReplica => r !== undefined);
      return { registered: reply[0] === 1, replicas: replicas.sort(byGatewayId) };
    },

    async replicas(ttlMs) {
      const [now, ...all] = (await call('reading the replicas', () => (client as unknown as ScriptClient).xbListReplicas(replicasKey))) as Reply;
      return all
        .map((raw) => decodeReplica(String(raw)))
        .filter((r): r is LiveReplica => r !== undefined && Number(now) - r.seenMs <= ttlMs)
        .sort(byGatewayId);
    },

    async removeReplica(gatewayId) {
      await call('removing the replica', () => client.hdel(replicasKey, gatewayId));
    },

    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

interface ScriptClient {
  xbCheckAndAdd(numKeys: number, ...args: (string | Buffer)[]): Promise<unknown>;
  xbAddFingerprints(key: string, ...args: string[]): Promise<unknown>;
  xbRegisterReplica(key: string, ...args: string[]): Promise<unknown>;
  xbListReplicas(key: string): Promise<unknown>;
}

function connect(opts: RedisStoreOptions): Client {
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: opts.timeoutMs,
    connectTimeout: opts.timeoutMs,
    maxRetriesPerRequest: 0,
    // Keep reconnecting while the gateway runs; transfers carrying PI are refused meanwhile.
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
  };
  if (opts.cluster) {
    return new Cluster(opts.cluster.map(hostPort), { redisOptions: common, enableOfflineQueue: false, lazyConnect: true, clusterRetryStrategy: (t) => Math.min(t * 100, 2000) });
  }
  if (opts.sentinel) {
    return new Redis({ ...common, sentinels: opts.sentinel.sentinels.map(hostPort), name: opts.sentinel.name, sentinelRetryStrategy: (t) => Math.min(t * 100, 2000) });
  }
  return new Redis(opts.url ?? 'redis://127.0.0.1:6379', common);
}

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

/** Members de-duplicated: the script counts what SMISMEMBER says is new, once per member sent. */
function distinct(members: readonly Buffer[]): Buffer[] {
  const seen = new Map<string, Buffer>();
  for (const m of members) seen.set(m.toString('latin1'), m);
  return [...seen.values()];
}

const rangeSpec = (rs: readonly Range[]): string => rs.map((r) => `${r.min}:${r.max ?? ''}`).join(';');

function where(opts: RedisStoreOptions): string {
  if (opts.cluster) return `Redis Cluster ${opts.cluster.join(',')}`;
  if (opts.sentinel) return `Redis Sentinel ${opts.sentinel.name} via ${opts.sentinel.sentinels.join(',')}`;
  return `Redis ${(opts.url ?? 'redis://127.0.0.1:6379').replace(/\/\/[^@/]*@/, '//***@')}`;
}

function unavailable(err: unknown, what: string): XbError {
  if (err instanceof XbError) return err;
  return new XbError('XB_STORE_UNAVAILABLE', `Redis store, ${what}: ${(err as Error).message}`);
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
