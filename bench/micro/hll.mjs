#!/usr/bin/env node
// HyperLogLog accuracy and add throughput (docs/decisions/0007-hyperloglog.md): our registers
// (agent/count/hll.ts, read from the key's own bits; Ertl's estimator, and beside it the classical
// estimator with linear counting on the same registers), Redis's PFADD/PFCOUNT on a redis-server
// this script starts on a free loopback port and stops by PID, and two npm HLLs: bloom-filters'
// HyperLogLog and hyperloglog-lite. The same pseudo-random 16-byte keys (AES-CTR keystream, one seed
// a trial; they stand in for HMAC person keys) go to each, every one with 2^14 registers.
// The npm HLLs are not dependencies: `mkdir -p /tmp/hllpeers && cd /tmp/hllpeers && npm init -y &&
// npm install bloom-filters hyperloglog-lite`, then HLL_PEERS=/tmp/hllpeers/node_modules.
// Ours is loaded from dist/ (npm run build) or from HLL_MODULE (a path to a compiled hll.js).
// Usage: [HLL_PEERS=…] node bench/micro/hll.mjs [--scale 1] [--bloom-max 100000] [--write]
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { redisVersion, startRedisServer } from '../redis-server.mjs';
import { writeSection } from '../results.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const scale = opt('--scale', 1);
const bloomMax = opt('--bloom-max', 100_000);

// Cardinalities and trials a cardinality. 50k sits where the classical estimator switches from
// linear counting (2.5·m = 40,960) and is known to be biased.
const PLAN = [
  [10_000, 20],
  [50_000, 20],
  [100_000, 10],
  [1_000_000, 10],
  [2_100_000, 6],
].map(([n, t]) => [n, Math.max(1, Math.round(t * scale))]);
// bloom-filters adds ~5,000 keys/s: at most ~40k keys a cardinality (one trial above), none above --bloom-max.
const bloomTrials = (n, trials) => (n > bloomMax ? 0 : Math.min(trials, Math.max(1, Math.floor(40_000 / n))));

const hllPath = process.env.HLL_MODULE ? resolve(process.env.HLL_MODULE) : new URL('../../dist/agent/count/hll.js', import.meta.url).pathname;
let hll;
try {
  hll = await import(pathToFileURL(hllPath).href);
} catch (err) {
  console.error(`cannot load ${hllPath}: run npm run build, or set HLL_MODULE to a compiled hll.js (${err.message.split('\n')[0]})`);
  process.exit(1);
}
const { addToRegisters, emptyRegisters, estimate, packedUpdates, HLL_REGISTERS } = hll;

function keys(seed, n) {
  const k = createHash('sha256').update(seed).digest().subarray(0, 16);
  const pool = createCipheriv('aes-128-ctr', k, Buffer.alloc(16)).update(Buffer.alloc(n * 16));
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = pool.subarray(i * 16, i * 16 + 16);
  return out;
}

// The classical estimator (Flajolet et al. 2007) with the small-range correction, for comparison.
function classical(registers) {
  const m = HLL_REGISTERS;
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < m; i++) {
    sum += 2 ** -registers[i];
    if (registers[i] === 0) zeros++;
  }
  const e = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
  return e <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : e;
}

// ---- peers ---------------------------------------------------------------------------------------
const notes = [];
const peers = process.env.HLL_PEERS;
const version = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
let BloomHLL;
let HLite;
if (!peers) {
  notes.push('bloom-filters and hyperloglog-lite not measured: set HLL_PEERS to a node_modules folder holding them.');
} else {
  const require = createRequire(join(peers, 'noop.js'));
  try {
    BloomHLL = require(join(peers, 'bloom-filters')).HyperLogLog;
    notes.push(`bloom-filters ${version(join(peers, 'bloom-filters'))} (HyperLogLog(16384), update(hex string); xxhashjs h64).`);
  } catch (err) {
    notes.push(`bloom-filters not measured: ${err.message.split('\n')[0]}`);
  }
  try {
    process.noDeprecation = true; // it allocates with new Buffer()
    HLite = require(join(peers, 'hyperloglog-lite'));
    notes.push(`hyperloglog-lite ${version(join(peers, 'hyperloglog-lite'))} (HyperLogLog(14), add(hash(key)); murmurhash32-node ${version(join(peers, 'murmurhash32-node'))}, pure JS, 4 seeded 32-bit MurmurHash2 calls a key).`);
  } catch (err) {
    notes.push(`hyperloglog-lite not measured: ${err.code ?? ''} ${err.message.split('\n')[0]}`);
  }
}

// ---- redis-server (bench/redis-server.mjs) ------------------------------------------------------
async function startRedis() {
  const server = await startRedisServer(['--appendonly', 'no']);
  const client = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1 });
  return { ...server, client, version: redisVersion() };
}

let redis;
try {
  redis = await startRedis();
  notes.push(`Redis ${redis.version}: redis-server started for this run on 127.0.0.1:${redis.port} (no persistence), PFADD pipelined 1,000 keys a command as raw 16-byte strings, via ioredis; adds/s as a client sees them over loopback.`);
} catch (err) {
  notes.push(`Redis not measured: ${err.message}`);
}
const stopRedis = () => {
  if (!redis) return;
  redis.client.disconnect();
  if (redis.child.exitCode === null) process.kill(redis.child.pid, 'SIGTERM'); // exit handler: no await
  redis = undefined;
};
process.on('exit', stopRedis);
process.on('SIGINT', () => process.exit(130));

// ---- one trial of each ---------------------------------------------------------------------------
const timed = async (fn) => {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
};

const impls = [
  {
    name: 'ours: addToRegisters + estimate (Ertl)',
    trials: (n, t) => t,
    async run(ks) {
      const r = emptyRegisters();
      const { ms } = await timed(() => addToRegisters(r, ks));
      this.last = r;
      return { est: estimate(r), ms };
    },
  },
  {
    name: 'ours: same registers, classical estimator',
    trials: (n, t) => t,
    sameAs: 0,
  },
  redis && {
    name: 'Redis PFADD / PFCOUNT',
    trials: (n, t) => t,
    async run(ks, trial) {
      const key = `hll:${ks.length}:${trial}`;
      const { ms } = await timed(async () => {
        const p = redis.client.pipeline();
        for (let i = 0; i < ks.length; i += 1000) p.pfadd(key, ks.slice(i, i + 1000));
        const replies = await p.exec();
        const failed = replies.find(([err]) => err);
        if (failed) throw failed[0];
      });
      const est = await redis.client.pfcount(key);
      await redis.client.del(key);
      return { est, ms };
    },
  },
  BloomHLL && {
    name: 'bloom-filters HyperLogLog',
    trials: bloomTrials,
    async run(ks) {
      const hex = ks.map((k) => k.toString('hex'));
      const h = new BloomHLL(16384);
      const { ms } = await timed(() => {
        for (const x of hex) h.update(x);
      });
      return { est: h.count(), ms };
    },
  },
  HLite && {
    name: 'hyperloglog-lite',
    trials: (n, t) => t,
    async run(ks) {
      const h = HLite(14);
      const { ms } = await timed(() => {
        for (const k of ks) h.add(HLite.hash(k));
      });
      return { est: h.count(), ms };
    },
  },
].filter(Boolean);

// Warm-up on 10k keys so no JIT tier-up lands in the first measured trial.
for (const impl of impls) if (impl.run) await impl.run(keys('warm-up', 10_000), 'warm-up');

const results = impls.map(() => new Map()); // n → { errors: [], rates: [] }
const started = performance.now();
for (const [n, trials] of PLAN) {
  for (let t = 0; t < trials; t++) {
    const ks = keys(`hll-bench-${n}-${t}`, n);
    for (let i = 0; i < impls.length; i++) {
      const impl = impls[i];
      if (t >= impl.trials(n, trials)) continue;
      let est;
      let ms;
      if (impl.sameAs !== undefined) est = classical(impls[impl.sameAs].last);
      else ({ est, ms } = await impl.run(ks, t));
      const cell = results[i].get(n) ?? { errors: [], rates: [] };
      cell.errors.push(est / n - 1);
      if (ms !== undefined) cell.rates.push(n / (ms / 1000));
      results[i].set(n, cell);
    }
  }
  process.stderr.write(`${n} done, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}

// packedUpdates on a gateway-sized batch (what the Redis store sends its script).
const batch = keys('packed', 1_000);
packedUpdates(batch);
const packed = await timed(() => {
  for (let i = 0; i < 1000; i++) packedUpdates(batch);
});
stopRedis();

// ---- report --------------------------------------------------------------------------------------
const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (let i = 0; i < impls.length; i++) {
  for (const [n] of PLAN) {
    const cell = results[i].get(n);
    if (!cell) {
      rows.push(`| ${impls[i].name} | ${n.toLocaleString('en-US')} | 0 | not run (--bloom-max ${bloomMax}) | | | |`);
      continue;
    }
    const { errors, rates } = cell;
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    const rms = Math.sqrt(errors.reduce((a, b) => a + b * b, 0) / errors.length);
    const worst = errors.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
    const rate = rates.length ? Math.round(median(rates)).toLocaleString('en-US') : '(same registers)';
    rows.push(`| ${impls[i].name} | ${n.toLocaleString('en-US')} | ${errors.length} | ${pct(mean)} | ${(rms * 100).toFixed(2)}% | ${pct(worst)} | ${rate} |`);
  }
}

const command = `HLL_PEERS=/tmp/hllpeers/node_modules node bench/micro/hll.mjs${scale !== 1 ? ` --scale ${scale}` : ''}${bloomMax !== 100_000 ? ` --bloom-max ${bloomMax}` : ''} --write`;
const lines = [
  `Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}); ${((performance.now() - started) / 1000).toFixed(0)} s. All sketches 2^14 registers (standard error 1.04/√m = 0.81%). Keys: uniform 16-byte strings (AES-CTR keystream, one seed a trial, the same keys for every implementation). Error = estimate / true − 1; "worst" is the trial farthest from 0; adds/s is the median over trials of keys / time to add them all (ours: one addToRegisters call over an array of Buffers).`,
  '',
  ...notes.map((n) => `- ${n}`),
  '',
  '| implementation | true n | trials | mean error | RMS error | worst error | adds/s |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
  '',
  `packedUpdates of a 1,000-key batch: ${packed.ms.toFixed(1)} µs (1,000 calls took ${packed.ms.toFixed(0)} ms).`,
];
process.stdout.write(`${lines.join('\n')}\n`);
if (args.includes('--write')) writeSection('HyperLogLog (bench/micro/hll.mjs)', command, lines);
