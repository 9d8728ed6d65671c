#!/usr/bin/env node
// Count-path benchmark (issue 5): the real check-and-add per transfer on both stores, driven
// through the store API of the compiled code (npm run build): `openEmbeddedStore(tmpdir)` and
// `openRedisStore({ url, keyPrefix, timeoutMs })` on redis-servers this script starts on free
// 127.0.0.1 ports (appendonly yes with appendfsync everysec, the same with always, and appendonly
// no), each stopped by its PID at the end. Batches of 10,000 persons are also run through
// `count()` (what the pipeline calls: it adds the pre-estimate for batches ≥ 10,000 persons).
//
// One process with N transfers in flight is the model for N gateway replicas: replicas share
// nothing but the store, and a Redis node serializes every replica's scripts the same way.
//
// Measures, per case, transfers/s and persons/s (median of --runs runs of --seconds each, each
// also capped in persons), per-transfer latency, and the store's CPU; then Redis memory per person
// (INFO used_memory before/after --memory-persons persons), LMDB bytes per person, and the time one
// --big-person transfer holds Redis (its script blocks every other client while it runs).
// Usage: node bench/count.mjs [--seconds 1.5] [--runs 3] [--memory-persons 1000000] [--big 500000] [--write]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { open } from 'lmdb';
import { count } from '../dist/agent/count/index.js';
import { PRE_ESTIMATE_MIN_PERSONS } from '../dist/agent/count/estimate.js';
import { openEmbeddedStore } from '../dist/agent/count/store/embedded.js';
import { openRedisStore } from '../dist/agent/count/store/redis.js';
import { redisVersion as redisVersionOf, startRedisServer } from './redis-server.mjs';
import { writeSection } from './results.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SECONDS = opt('seconds', 1.5);
const RUNS = opt('runs', 3);
const MEMORY_PERSONS = opt('memory-persons', 1_000_000);
const BIG = opt('big', 500_000);
const WRITE = args.includes('--write');
const PERSON_CAP = 600_000; // most new persons one run adds to one counter (bounds memory and disk)
const TIMEOUT_MS = 2_000; // store.timeoutMs default (agent/config/defaults.ts)
const COMMAND = `node bench/count.mjs${args.length ? ` ${args.join(' ')}` : ''}`;
const started = performance.now();
const loadStart = loadavg()[0];

// Counter refs and union sketch names as the gateway builds them (policy/packs/guangxi-2025.yaml,
// pipeline.ts countOptions).
const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';
const SENSITIVE = 'guangxi-2025/live-commerce/sensitive';
const UNIONS = ['route:gx-live-orders:2026-05', 'recipient:SG Fulfilment Pte. Ltd.:2026-05'];
const FP = randomBytes(32).toString('hex');
/** "far": the top tier (n ≥ 2,000,000), unfiled; no run brings a counter within a batch of it. */
const FAR = [{ min: 2_000_000 }];

let nextYear = 3000; // one year per run: every run starts its counters at 0 under its own key pin
const log = (s) => process.stderr.write(`${s}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
};
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—');
const ms = (n) => (n >= 100 ? fmt(n, 0) : n >= 10 ? fmt(n, 1) : fmt(n, 2));

// ---- redis-servers, stopped by PID ---------------------------------------------------------------
const dirs = new Set();
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
const tempDir = (prefix) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(d);
  return d;
};

/** fsync: 'everysec' or 'always' (appendonly yes), or 'no' (appendonly no). */
async function startRedis(fsync) {
  const aof = fsync !== 'no';
  const dir = tempDir('xb-bench-redis-');
  const persistence = aof ? ['--appendonly', 'yes', '--appendfsync', fsync] : ['--appendonly', 'no'];
  const server = await startRedisServer(['--dir', dir, ...persistence]);
  const { port, url } = server;
  const admin = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  const store = await openRedisStore({ url, keyPrefix: 'xbbench', timeoutMs: TIMEOUT_MS });
  return { port, url, admin, store, aof, name: aof ? `Redis, AOF ${fsync}` : 'Redis, no AOF', dir, server };
}

async function stopRedis(r) {
  await r.store.close();
  r.admin.disconnect();
  await r.server.stop();
}

async function info(r, section) {
  const text = await r.admin.info(section);
  const out = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
const redisCpu = async (r) => {
  const i = await info(r, 'cpu');
  return Number(i.used_cpu_user) + Number(i.used_cpu_sys);
};
/** Server µs spent in scripts and script calls so far (INFO commandstats, evalsha + eval). */
async function scriptStats(r) {
  const i = await info(r, 'commandstats');
  let usec = 0;
  let calls = 0;
  for (const k of ['cmdstat_evalsha', 'cmdstat_eval']) {
    const m = /calls=(\d+),usec=(\d+)/.exec(i[k] ?? '');
    if (m) {
      calls += Number(m[1]);
      usec += Number(m[2]);
    }
  }
  return { usec, calls };
}
async function dropYear(r, year) {
  let cursor = '0';
  do {
    const [next, keys] = await r.admin.scan(cursor, 'MATCH', `{xbbench:${year}}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await r.admin.del(...keys); // DEL, not UNLINK: freed before the next measurement
  } while (cursor !== '0');
}

// ---- transfers -----------------------------------------------------------------------------------
/** n 16-byte person keys, views into one random buffer. */
const keysOf = (buf, from, n) => Array.from({ length: n }, (_, i) => buf.subarray((from + i) * 16, (from + i + 1) * 16));

/**
 * One case's transfer generator. mix 'new': every person is new to the counter. mix 'known95':
 * 95% of each transfer's persons are already counted (a seeded pool), 5% new (f = ⌊n/20⌋).
 * range 'far': FAR (the script's fast path: SADD, no member check). range 'near': a range whose
 * min lies just beyond what the counter can hold after this transfer — reachable by the transfer's
 * n persons, not by its f new ones — so the script takes its member-check path (SMISMEMBER) and
 * the transfer is still admitted. The min is computed from an upper bound of the counter (every
 * fresh person issued so far, in flight or not), so n ≥ 16·f + 1 keeps it admitted at 16 in flight.
 */
function transfers({ shape, mix, range, batch, maxTransfers }) {
  const f = mix === 'new' ? batch : Math.floor(batch / 20);
  const known = batch - f;
  const fresh = randomBytes(16 * f * maxTransfers + 16);
  const pool = known > 0 ? randomBytes(16 * 2 * known) : Buffer.alloc(0);
  let issuedFresh = 0; // upper bound of the counter's size, beyond the seed
  const seed = known > 0 ? keysOf(pool, 0, 2 * known) : [];
  const sensitiveIdx = Array.from({ length: batch }, (_, i) => i).filter((i) => i % 10 === 0);
  const allIdx = Array.from({ length: batch }, (_, i) => i);
  return {
    seed,
    /** Persons and entries of transfer i. */
    make(i) {
      const start = known > 0 ? Math.floor(Math.random() * (known + 1)) : 0;
      const members = [...keysOf(pool, start, known), ...keysOf(fresh, i * f, f)];
      const U = seed.length + issuedFresh;
      issuedFresh += f;
      const blocked = range === 'far' ? FAR : [{ min: U + f + 1 }];
      const entries =
        shape === 'limited'
          ? [{ counter: LIMITED, members, blocked }]
          : [
              { counter: GENERAL, members, blocked },
              // the sensitive subset: every 10th person ("near" is only run on one counter)
              { counter: SENSITIVE, members: sensitiveIdx.map((j) => members[j]), blocked: FAR },
            ];
      const plan = {
        persons: members,
        counters: entries.map((e) => ({ counter: { ref: e.counter }, persons: e.counter === SENSITIVE ? sensitiveIdx : allIdx })),
      };
      const ranges = new Map(entries.map((e) => [e.counter, e.blocked]));
      return { entries, plan, ranges, fresh: f };
    },
  };
}

/** Run `one` with `concurrency` in flight until `seconds` pass or `maxTransfers` are issued. */
async function drive(concurrency, seconds, maxTransfers, one) {
  const lat = [];
  let issued = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const worker = async () => {
    while (issued < maxTransfers && performance.now() < deadline) {
      const i = issued++;
      const t = performance.now();
      await one(i);
      lat.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { done: lat.length, elapsed: (performance.now() - t0) / 1000, lat };
}

const stores = {};
const embeddedName = 'embedded (LMDB)';

async function runCase(c) {
  const runs = [];
  let problems = 0;
  const caseDir = c.store === 'embedded' ? tempDir('xb-bench-lmdb-') : undefined;
  const embedded = caseDir ? openEmbeddedStore(caseDir) : undefined;
  const r = c.store === 'embedded' ? undefined : stores[c.store];
  const store = embedded ?? r.store;
  for (let run = 0; run < RUNS; run++) {
    const year = nextYear++;
    const maxTransfers = Math.min(400_000, Math.floor(PERSON_CAP / (c.mix === 'new' ? c.batch : Math.max(1, Math.floor(c.batch / 20)))));
    const gen = transfers({ ...c, maxTransfers });
    // Pin the year (expectCounted false on a year's first transfer), seeding the known persons.
    const pin = gen.seed.length ? gen.seed : [randomBytes(16)];
    await store.checkAndAdd(year, FP, [{ counter: c.shape === 'limited' ? LIMITED : GENERAL, members: pin, blocked: FAR }], { expectCounted: false, unions: UNIONS });
    if (c.shape !== 'limited' && gen.seed.length) {
      await store.checkAndAdd(year, FP, [{ counter: SENSITIVE, members: gen.seed.filter((_, j) => j % 10 === 0), blocked: FAR }], { expectCounted: true, unions: UNIONS });
    }
    const options = { expectCounted: true, unions: UNIONS };
    const one = async (i) => {
      const t = gen.make(i);
      let res;
      if (c.via === 'count') {
        res = await count(store, { plan: t.plan, year, keyFingerprint: FP, blockedRanges: (counter) => t.ranges.get(counter.ref) }, options);
      } else {
        res = await store.checkAndAdd(year, FP, t.entries, options);
      }
      if (!res.admitted || res.counters[0].added !== t.fresh) problems++;
    };
    const cpu0 = process.cpuUsage();
    const rc0 = r ? await redisCpu(r) : 0;
    const s0 = r ? await scriptStats(r) : undefined;
    const d = await drive(c.conc, SECONDS, maxTransfers, one);
    const cpu = process.cpuUsage(cpu0);
    const rc = r ? (await redisCpu(r)) - rc0 : NaN;
    const s1 = r ? await scriptStats(r) : undefined;
    runs.push({
      tps: d.done / d.elapsed,
      p50: pct(d.lat, 50),
      p99: pct(d.lat, 99),
      n: d.done,
      clientCpu: (cpu.user + cpu.system) / 1e6 / d.elapsed,
      redisCpu: rc / d.elapsed,
      usecPerScript: s0 ? (s1.usec - s0.usec) / Math.max(1, s1.calls - s0.calls) : NaN,
    });
    if (r) await dropYear(r, year);
  }
  if (embedded) {
    await embedded.close();
    rmSync(caseDir, { recursive: true, force: true });
    dirs.delete(caseDir);
  }
  const m = (k) => median(runs.map((x) => x[k]));
  const row = { ...c, tps: m('tps'), p50: m('p50'), p99: m('p99'), n: m('n'), clientCpu: m('clientCpu'), redisCpu: m('redisCpu'), usec: m('usecPerScript'), problems };
  log(`  ${c.store} ${c.shape} ${c.mix}/${c.range} via ${c.via} n=${c.batch} c=${c.conc}: ${fmt(row.tps, 1)} transfers/s, ${fmt(row.tps * c.batch)} persons/s, p50 ${ms(row.p50)} ms, p99 ${ms(row.p99)} ms${problems ? `, ${problems} NOT ADMITTED/WRONG` : ''} (${fmt((performance.now() - started) / 1000)} s)`);
  return row;
}

// ---- cases ---------------------------------------------------------------------------------------
log(`count bench: ${RUNS} runs × ${SECONDS} s per case`);
const redisVersion = redisVersionOf();
stores.aof = await startRedis('everysec');
stores.noaof = await startRedis('no');
stores.always = await startRedis('always');
const storeName = (s) => (s === 'embedded' ? embeddedName : stores[s].name);

const base = { shape: 'limited', mix: 'new', range: 'far', via: 'checkAndAdd' };
const cases = [];
for (const store of ['embedded', 'aof']) for (const batch of [1, 10, 100, 1_000, 10_000]) for (const conc of [1, 16]) cases.push({ ...base, store, batch, conc });
for (const batch of [1, 100, 10_000]) cases.push({ ...base, store: 'noaof', batch, conc: 16 });
for (const batch of [1, 100, 10_000]) cases.push({ ...base, store: 'always', batch, conc: 16 });
for (const store of ['embedded', 'aof']) for (const batch of [100, 10_000]) cases.push({ ...base, store, shape: 'general+sensitive', batch, conc: 16 });
for (const batch of [100, 1_000, 10_000]) for (const range of ['far', 'near']) cases.push({ ...base, store: 'aof', mix: 'known95', range, batch, conc: 16 });
for (const batch of [100, 10_000]) cases.push({ ...base, store: 'embedded', mix: 'known95', range: 'near', batch, conc: 16 });
for (const store of ['embedded', 'aof']) for (const range of ['far', 'near']) cases.push({ ...base, store, via: 'count', mix: range === 'far' ? 'new' : 'known95', range, batch: 10_000, conc: 16 });

// Warm up JIT and connections, untimed.
{
  for (const store of ['embedded', 'aof']) {
    const dir = tempDir('xb-bench-warm-');
    const s = store === 'embedded' ? openEmbeddedStore(dir) : stores.aof.store;
    const year = nextYear++;
    await s.checkAndAdd(year, FP, [{ counter: LIMITED, members: [randomBytes(16)], blocked: FAR }], { expectCounted: false, unions: UNIONS });
    const buf = randomBytes(16 * 100 * 300);
    await drive(16, 0.5, 300, (i) => s.checkAndAdd(year, FP, [{ counter: LIMITED, members: keysOf(buf, i * 100, 100), blocked: FAR }], { expectCounted: true, unions: UNIONS }));
    if (store === 'embedded') await s.close();
    else await dropYear(stores.aof, year);
  }
}

const rows = [];
for (const c of cases) rows.push(await runCase(c));

// ---- for scale: a plain SADD of n new members, no script (what the sketches and bookkeeping add) --
const saddRows = [];
{
  const r = stores.noaof;
  const year = nextYear++;
  const key = `{xbbench:${year}}:sadd-only`;
  for (const n of [1, 10, 100, 1_000, 10_000]) {
    const calls = Math.max(20, Math.min(2_000, Math.floor(200_000 / n)));
    const buf = randomBytes(16 * n * calls);
    const read = async () => {
      const m = /calls=(\d+),usec=(\d+)/.exec((await info(r, 'commandstats')).cmdstat_sadd ?? '');
      return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
    };
    const a = await read();
    for (let i = 0; i < calls; i++) await r.admin.sadd(key, ...keysOf(buf, i * n, n));
    const b = await read();
    saddRows.push({ n, usec: (b.usec - a.usec) / (b.calls - a.calls) });
  }
  await dropYear(r, year);
  log(`  plain SADD µs/call: ${saddRows.map((x) => `${x.n}: ${fmt(x.usec, 1)}`).join(', ')}`);
}

// ---- Redis memory per person ---------------------------------------------------------------------
log(`memory: ${fmt(MEMORY_PERSONS)} persons on one counter (Redis, no AOF)`);
const memory = {};
{
  const r = stores.noaof;
  const year = nextYear++;
  await r.store.checkAndAdd(year, FP, [{ counter: LIMITED, members: [randomBytes(16)], blocked: FAR }], { expectCounted: false, unions: UNIONS });
  while (Number((await info(r, 'memory')).lazyfree_pending_objects ?? 0) > 0) await new Promise((ok) => setTimeout(ok, 50));
  const before = Number((await info(r, 'memory')).used_memory);
  const buf = randomBytes(16 * MEMORY_PERSONS);
  const t0 = performance.now();
  const d = await drive(16, 600, MEMORY_PERSONS / 1000, (i) => r.store.checkAndAdd(year, FP, [{ counter: LIMITED, members: keysOf(buf, i * 1000, 1000), blocked: FAR }], { expectCounted: true, unions: UNIONS }));
  memory.seconds = (performance.now() - t0) / 1000;
  const after = Number((await info(r, 'memory')).used_memory);
  const key = `{xbbench:${year}}:set:${LIMITED}`;
  memory.card = await r.admin.scard(key);
  memory.encoding = await r.admin.object('ENCODING', key);
  memory.usage = Number(await r.admin.memory('USAGE', key, 'SAMPLES', '0'));
  memory.delta = after - before;
  memory.perPerson = memory.delta / MEMORY_PERSONS;
  memory.transfers = d.done;
  const small = `{xbbench:${year}}:smalltest`;
  await r.admin.sadd(small, randomBytes(16), randomBytes(16));
  memory.smallEncoding = await r.admin.object('ENCODING', small);
  await dropYear(r, year);
  log(`  +${fmt(memory.delta / 2 ** 20, 1)} MiB for ${fmt(memory.card)} persons = ${fmt(memory.perPerson, 1)} B/person; MEMORY USAGE ${fmt(memory.usage / 2 ** 20, 1)} MiB; encoding ${memory.encoding}; ${fmt(memory.seconds, 1)} s`);
}

// ---- LMDB bytes per person, and one big transfer on LMDB ------------------------------------------
log(`lmdb: ${fmt(MEMORY_PERSONS)} persons on one counter`);
const lmdb = {};
{
  const dir = tempDir('xb-bench-lmdb-size-');
  const s = openEmbeddedStore(dir);
  const year = nextYear++;
  await s.checkAndAdd(year, FP, [{ counter: LIMITED, members: [randomBytes(16)], blocked: FAR }], { expectCounted: false, unions: UNIONS });
  const buf = randomBytes(16 * MEMORY_PERSONS);
  const t0 = performance.now();
  await drive(16, 600, MEMORY_PERSONS / 1000, (i) => s.checkAndAdd(year, FP, [{ counter: LIMITED, members: keysOf(buf, i * 1000, 1000), blocked: FAR }], { expectCounted: true, unions: UNIONS }));
  lmdb.seconds = (performance.now() - t0) / 1000;
  const st = statSync(join(dir, 'data.mdb'));
  lmdb.fileBytes = st.size;
  lmdb.diskBytes = st.blocks * 512;
  // one BIG-person transfer on top (the counter at MEMORY_PERSONS): it holds LMDB's writer lock
  const big = randomBytes(16 * BIG);
  const t1 = performance.now();
  const res = await s.checkAndAdd(year, FP, [{ counter: LIMITED, members: keysOf(big, 0, BIG), blocked: FAR }], { expectCounted: true, unions: UNIONS });
  lmdb.bigMs = performance.now() - t1;
  lmdb.bigOk = res.admitted && res.counters[0].added === BIG;
  lmdb.fileBytesAfterBig = statSync(join(dir, 'data.mdb')).size;
  await s.close();
  const root = open({ path: dir, readOnly: true });
  const stats = root.openDB({ name: 'members', encoding: 'binary' }).getStats();
  lmdb.entries = stats.entryCount;
  lmdb.pageBytes = (stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages) * stats.pageSize;
  lmdb.depth = stats.treeDepth;
  await root.close();
  lmdb.perPersonFile = lmdb.fileBytes / MEMORY_PERSONS;
  lmdb.perPersonPages = lmdb.pageBytes / lmdb.entries;
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
  log(`  data.mdb ${fmt(lmdb.fileBytes / 2 ** 20, 1)} MiB at ${fmt(MEMORY_PERSONS)} (${fmt(lmdb.perPersonFile, 1)} B/person); members tree ${fmt(lmdb.perPersonPages, 1)} B/entry; ${BIG}-person transfer ${ms(lmdb.bigMs)} ms`);
}

// ---- one big transfer on Redis: how long its script holds the node ---------------------------------
log(`big transfer: ${fmt(BIG)} persons on Redis (AOF everysec)`);
const bigRows = [];
let defaultTimeout;
{
  const r = stores.aof;
  const s = await openRedisStore({ url: r.url, keyPrefix: 'xbbench', timeoutMs: 120_000 });
  const probe = new Redis({ host: '127.0.0.1', port: r.port, maxRetriesPerRequest: 1 });
  await r.admin.config('SET', 'slowlog-log-slower-than', '10000');
  await r.admin.slowlog('RESET');
  const year = nextYear++;
  await s.checkAndAdd(year, FP, [{ counter: LIMITED, members: [randomBytes(16)], blocked: FAR }], { expectCounted: false, unions: UNIONS });
  const newBuf = randomBytes(16 * BIG);
  const newer = randomBytes(16 * BIG);
  const f = Math.floor(BIG / 20);
  /** Time fn, while a second connection PINGs every 2 ms: the longest PING is how long others waited. */
  const timed = async (label, fn, check) => {
    await r.admin.slowlog('RESET');
    let stop = false;
    let worstPing = 0;
    const pinger = (async () => {
      while (!stop) {
        const t = performance.now();
        await probe.ping();
        worstPing = Math.max(worstPing, performance.now() - t);
        await new Promise((ok) => setTimeout(ok, 2));
      }
    })();
    const t0 = performance.now();
    const res = await fn();
    const client = performance.now() - t0;
    stop = true;
    await pinger;
    const slow = await r.admin.slowlog('GET', 10);
    const script = Math.max(0, ...slow.filter((e) => /^eval/i.test(String(e[3]?.[0] ?? ''))).map((e) => Number(e[2]) / 1000));
    const ok = check(res);
    bigRows.push({ label, client, script, worstPing, ok });
    log(`  ${label}: client ${ms(client)} ms, script ${ms(script)} ms (SLOWLOG), longest PING meanwhile ${ms(worstPing)} ms${ok ? '' : ' UNEXPECTED RESULT'}`);
  };
  const before = async () => (await s.counts(year)).get(LIMITED) ?? 0;
  await timed(`${fmt(BIG)} new persons, far range (fast path: SADD)`, () => s.checkAndAdd(year, FP, [{ counter: LIMITED, members: keysOf(newBuf, 0, BIG), blocked: FAR }], { expectCounted: true, unions: UNIONS }), (x) => x.admitted && x.counters[0].added === BIG);
  const b1 = await before();
  const nearMembers = [...keysOf(newBuf, f, BIG - f), ...keysOf(newer, 0, f)];
  await timed(`${fmt(BIG - f)} counted + ${fmt(f)} new, near range (member check, admitted)`, () => s.checkAndAdd(year, FP, [{ counter: LIMITED, members: nearMembers, blocked: [{ min: b1 + f + 1 }] }], { expectCounted: true, unions: UNIONS }), (x) => x.admitted && x.counters[0].added === f);
  const b2 = await before();
  const refused = keysOf(newer, f, BIG - f).concat(keysOf(randomBytes(16 * f), 0, f));
  await timed(`${fmt(BIG)} new persons reaching a range (member check, refused)`, () => s.checkAndAdd(year, FP, [{ counter: LIMITED, members: refused, blocked: [{ min: b2 + 1 }] }], { expectCounted: true, unions: UNIONS }), (x) => !x.admitted);
  const plan = { persons: refused, counters: [{ counter: { ref: LIMITED }, persons: refused.map((_, i) => i) }] };
  await timed(`the same through count() (pre-estimate refuses, no script)`, () => count(s, { plan, year, keyFingerprint: FP, blockedRanges: () => [{ min: b2 + 1 }] }, { expectCounted: true, unions: UNIONS }), (x) => !x.admitted && x.counters[0].estimated === true);
  // The same size of transfer on the store as configured by default (timeoutMs 2000).
  const b3 = await before();
  const t0 = performance.now();
  let outcome;
  try {
    const res = await r.store.checkAndAdd(year, FP, [{ counter: LIMITED, members: keysOf(randomBytes(16 * BIG), 0, BIG), blocked: FAR }], { expectCounted: true, unions: UNIONS });
    outcome = `admitted: ${res.admitted}, added ${fmt(res.counters[0].added)}`;
  } catch (err) {
    outcome = `${err.code ?? 'error'} (${String(err.message).replace(/\s+/g, ' ').slice(0, 80)})`;
  }
  const t1 = performance.now() - t0;
  await probe.ping(); // waits for the script, if it is still running
  const grew = (await before()) - b3;
  defaultTimeout = { outcome, ms: t1, grew };
  log(`  with timeoutMs ${TIMEOUT_MS}: ${outcome} after ${ms(t1)} ms; the counter grew by ${fmt(grew)}`);
  probe.disconnect();
  await s.close();
  await dropYear(r, year);
}

const aofInfo = await info(stores.aof, 'persistence');
for (const k of ['aof', 'noaof', 'always']) await stopRedis(stores[k]);

// ---- report --------------------------------------------------------------------------------------
const describe = (row) => {
  const counters = row.shape === 'limited' ? 'limited' : 'general + sensitive (1 in 10)';
  const persons = row.mix === 'new' ? 'all new' : '95% counted, 5% new';
  const path = row.range === 'far' ? 'far (fast path)' : 'near (member check)';
  return { counters, persons, path };
};
const lines = [];
const cores = cpus();
lines.push(`Node ${process.version}, ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}), Redis ${redisVersion}, lmdb-js and ioredis as installed; ${fmt((performance.now() - started) / 1000)} s in all. Shared, noisy machine (1-minute load average ${fmt(loadStart, 2)} at the start, ${fmt(loadavg()[0], 2)} at the end: other work ran beside the bench): medians of ${RUNS} runs of ${SECONDS} s per case (each run also capped at ${fmt(PERSON_CAP)} new persons), one process.`);
lines.push('');
lines.push('- What runs: the compiled store API (`dist/agent/count/store/`), one `checkAndAdd(year, keyFingerprint, entries, { expectCounted: true, unions })` per transfer, 2 union sketches (route, recipient) as the pipeline passes; rows marked `count()` go through `agent/count/index.ts` (the pipeline\'s call: pre-estimate for batches ≥ ' + fmt(PRE_ESTIMATE_MIN_PERSONS) + ' persons, then the script). Person keys: 16 random bytes. Each run counts under its own year (a fresh key pin, counters from 0).');
lines.push(`- Embedded: \`openEmbeddedStore\` on a fresh folder per case under ${tmpdir()} (on a disk, not tmpfs), \`overlappingSync: false\` (every commit flushed). Redis: \`openRedisStore({ url, keyPrefix, timeoutMs: ${TIMEOUT_MS} })\` on redis-servers ${redisVersion} started by this bench on free 127.0.0.1 ports (data in a temp folder on the same disk) and stopped by PID: "AOF everysec" = \`--appendonly yes --appendfsync everysec --save ""\`, "AOF always" = \`--appendonly yes --appendfsync always --save ""\`, "no AOF" = \`--appendonly no --save ""\`. Bench client and redis-server share the ${cores.length} cores.`);
lines.push('- In flight: 1 or 16 transfers awaited concurrently from one process. Replicas share nothing but the store, and Redis runs every client\'s scripts one at a time, so 16 in flight from one process stands for 16 in flight from several replicas (except that one client process\'s CPU is the cap where "bench CPU" nears 100%).');
lines.push('- Ranges: "far" = blocked `[{ min: 2000000 }]` (the unfiled top tier; no run takes a counter within a batch of it): the script admits by SADD alone. "near" = a min just past the counter\'s size after the transfer\'s new persons, reachable by its whole batch: the script checks members (SMISMEMBER) first, then adds the new ones; admitted. Persons "95% counted" come from a pool seeded into the counter before the run.');
lines.push('- Columns: Redis µs/transfer = server time per script (INFO commandstats, evalsha); Redis CPU = redis-server user+sys CPU per wall second (1.00 = one core busy); bench CPU = the bench process (for the embedded store: client and LMDB together).');
lines.push('');
lines.push('| store | counters | persons | range | persons/transfer | in flight | via | transfers/s | persons/s | p50 ms | p99 ms | Redis µs/transfer | Redis CPU | bench CPU |');
lines.push('| --- | --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) {
  const d = describe(row);
  const isRedis = row.store !== 'embedded';
  lines.push(`| ${storeName(row.store)} | ${d.counters} | ${d.persons} | ${d.path} | ${fmt(row.batch)} | ${row.conc} | ${row.via === 'count' ? '`count()`' : 'checkAndAdd'} | ${fmt(row.tps, row.tps < 100 ? 1 : 0)} | ${fmt(row.tps * row.batch)} | ${ms(row.p50)} | ${ms(row.p99)} | ${isRedis ? fmt(row.usec) : '—'} | ${isRedis ? fmt(row.redisCpu, 2) : '—'} | ${fmt(row.clientCpu, 2)} |${row.problems ? ` **${row.problems} transfers not admitted as expected**` : ''}`);
}
lines.push('');
lines.push(`For scale, a plain \`SADD\` of n new 16-byte members (no script, same server, commandstats): ${saddRows.map((x) => `${fmt(x.n)}: ${fmt(x.usec, x.usec < 10 ? 1 : 0)} µs`).join('; ')}. The rest of "Redis µs/transfer" is the script: the key pin, SCARD, and max-merging the transfer's register updates into 3 sketches (the counter's and 2 unions; one BITFIELD GET and one BITFIELD SET per 1,500 updates up to 4,096 persons, a whole-register rewrite above).`);
lines.push('');
lines.push(`Memory and size, one counter, ${fmt(MEMORY_PERSONS)} persons added in 1,000-person transfers, 16 in flight:`);
lines.push('');
lines.push('| store | measure | total | per person |');
lines.push('| --- | --- | ---: | ---: |');
lines.push(`| Redis (no AOF) | INFO memory \`used_memory\` after − before (set, its sketch and 2 union sketches) | ${fmt(memory.delta / 2 ** 20, 1)} MiB | ${fmt(memory.perPerson, 1)} B |`);
lines.push(`| Redis (no AOF) | \`MEMORY USAGE <set> SAMPLES 0\` (set only; encoding \`${memory.encoding}\`) | ${fmt(memory.usage / 2 ** 20, 1)} MiB | ${fmt(memory.usage / memory.card, 1)} B |`);
lines.push(`| embedded (LMDB) | \`data.mdb\` file size (${fmt(lmdb.diskBytes / 2 ** 20, 1)} MiB allocated on disk) | ${fmt(lmdb.fileBytes / 2 ** 20, 1)} MiB | ${fmt(lmdb.perPersonFile, 1)} B |`);
lines.push(`| embedded (LMDB) | \`data.mdb\` file size after the ${fmt(BIG)}-person transfer below | ${fmt(lmdb.fileBytesAfterBig / 2 ** 20, 1)} MiB | ${fmt(lmdb.fileBytesAfterBig / (MEMORY_PERSONS + BIG), 1)} B |`);
lines.push(`| embedded (LMDB) | \`members\` B-tree pages (depth ${lmdb.depth}) at ${fmt(lmdb.entries)} members (after it) | ${fmt(lmdb.pageBytes / 2 ** 20, 1)} MiB | ${fmt(lmdb.perPersonPages, 1)} B |`);
lines.push('');
lines.push(`Filling took ${fmt(memory.seconds, 1)} s on Redis (${fmt(MEMORY_PERSONS / memory.seconds)} persons/s) and ${fmt(lmdb.seconds, 1)} s on LMDB (${fmt(MEMORY_PERSONS / lmdb.seconds)} persons/s). Redis ${redisVersion} keeps a set of 16-byte binary members as a \`${memory.encoding}\` at every size (a 2-member set: \`${memory.smallEncoding}\`; listpack-encoded small sets arrive only in Redis 7.2, intsets hold integers only). LMDB member keys are \`year \\0 counter ref \\0 base64(key)\` (${4 + 1 + LIMITED.length + 1 + 24} bytes here with the ref \`${LIMITED}\`), so bytes per person grow with the counter ref's length.`);
lines.push('');
lines.push(`One ${fmt(BIG)}-person transfer, on Redis AOF everysec (store opened with timeoutMs 120,000 to see it finish; the default is ${fmt(TIMEOUT_MS)}), while a second connection PINGs every 2 ms; and on LMDB:`);
lines.push('');
lines.push('| store | transfer | client latency ms | script run time ms (SLOWLOG) | longest PING meanwhile ms |');
lines.push('| --- | --- | ---: | ---: | ---: |');
for (const b of bigRows) lines.push(`| Redis, AOF everysec | ${b.label} | ${ms(b.client)} | ${b.script ? ms(b.script) : '—'} | ${ms(b.worstPing)} |${b.ok ? '' : ' **unexpected result**'}`);
lines.push(`| Redis, AOF everysec | ${fmt(BIG)} new persons, far range, store at the default timeoutMs ${fmt(TIMEOUT_MS)}: ${defaultTimeout.outcome}; the counter grew by ${fmt(defaultTimeout.grew)} | ${ms(defaultTimeout.ms)} | | |`);
lines.push(`| embedded (LMDB) | ${fmt(BIG)} new persons onto a counter of ${fmt(MEMORY_PERSONS)}, far range | ${ms(lmdb.bigMs)} | — (holds the writer lock) | — |${lmdb.bigOk ? '' : ' **unexpected result**'}`);
lines.push('');
lines.push(`AOF during the run: ${aofInfo.aof_rewrites ?? '?'} rewrite(s), last status ${aofInfo.aof_last_bgrewrite_status ?? '?'}.`);

const table = lines.join('\n');
process.stdout.write(`${table}\n`);
if (WRITE) {
  writeSection('Count path on both stores (bench/count.mjs)', COMMAND, lines);
  log('bench/RESULTS.md updated');
}
