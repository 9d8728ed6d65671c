#!/usr/bin/env node
// Fingerprint pre-filter micro-benchmark (issue 4): lookups/s of bloom-filters' BloomFilter.has,
// of the compact bit-array filter (agent/classify/fingerprints.ts, probes read from the HMAC key)
// and of a Set of hex strings, over the same registered keys and the same mix of queries (mostly
// absent, as on the request path). The HMAC of a value is measured beside them for scale.
// bloom-filters is not a dependency: install it anywhere and point BLOOM_FILTERS at its folder,
// e.g. `npm i --prefix /tmp/bf bloom-filters && BLOOM_FILTERS=/tmp/bf/node_modules/bloom-filters`.
// Usage: npm run build && node bench/micro/bloom.mjs [--keys 100000] [--seconds 1] [--write]
import { createHmac, randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { KeyFilter } from '../../dist/agent/classify/fingerprints.js';
import { writeSection } from '../results.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const n = opt('--keys', 100_000);
const seconds = opt('--seconds', 1);

const keys = Array.from({ length: n }, () => randomBytes(16));
// 1 in 100 queries is registered; the rest are absent.
const queries = Array.from({ length: 100_000 }, (_, i) => (i % 100 === 0 ? keys[i % n] : randomBytes(16)));
const hexKeys = keys.map((k) => k.toString('hex'));
const hexQueries = queries.map((q) => q.toString('hex'));

function rate(fn) {
  let ops = 0;
  let sink = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < queries.length; i++) if (fn(i)) sink++;
    ops += queries.length;
  }
  const start = performance.now();
  for (let r = 0; r < 3; r++) for (let i = 0; i < queries.length; i++) if (fn(i)) sink++;
  const ms = performance.now() - start;
  return { perSecond: Math.round((3 * queries.length) / (ms / 1000)), sink: sink + ops * 0 };
}

const rows = [];
const median = (fn) => {
  const r = [rate(fn), rate(fn), rate(fn)].map((x) => x.perSecond).sort((a, b) => a - b);
  return r[1];
};

const compact = new KeyFilter(n);
for (const k of keys) compact.add(k);
const fpCompact = queries.filter((q, i) => i % 100 !== 0 && compact.has(q)).length / queries.filter((_, i) => i % 100 !== 0).length;
rows.push(['compact bit-array filter, has(16-byte key)', median((i) => compact.has(queries[i])), `${(fpCompact * 100).toFixed(2)}%`, `${compact.sizeBits / 8 / 1024} KiB`]);

const set = new Set(hexKeys);
rows.push(['Set of hex strings, has(hex)', median((i) => set.has(hexQueries[i])), '0 (exact)', '—']);
rows.push(['Set of hex strings, has(key.toString("hex"))', median((i) => set.has(queries[i].toString('hex'))), '0 (exact)', '—']);

let bloomNote = 'not measured: set BLOOM_FILTERS to an installed bloom-filters folder';
try {
  const where = process.env.BLOOM_FILTERS ? pathToFileURL(join(process.env.BLOOM_FILTERS, 'dist', 'api.js')).href : 'bloom-filters';
  const mod = await import(where);
  const { BloomFilter } = mod.default ?? mod;
  const bloom = BloomFilter.create(n, 0.008);
  for (const h of hexKeys) bloom.add(h);
  const fp = hexQueries.filter((q, i) => i % 100 !== 0 && bloom.has(q)).length / queries.filter((_, i) => i % 100 !== 0).length;
  rows.push(['bloom-filters BloomFilter.has(hex), 0.8% target', median((i) => bloom.has(hexQueries[i])), `${(fp * 100).toFixed(2)}%`, `${Math.ceil(bloom.size / 8 / 1024)} KiB`]);
  bloomNote = `bloom-filters ${(mod.default ?? mod).version ?? ''}`.trim();
} catch (err) {
  bloomNote += ` (${err.message.split('\n')[0]})`;
}

const key = randomBytes(32);
const values = hexQueries.map((h) => `订单备注${h.slice(0, 8)}`);
rows.push(['for scale: HMAC-SHA256 of a short value, 16 bytes', median((i) => createHmac('sha256', key).update('fingerprint\0').update(values[i]).digest().length === 32), '', '']);

const lines = [
  `Node ${process.version}, ${cpus().length} cores; ${n} registered keys, 100,000 queries (1% registered), ${seconds} s warm-up, median of 3. ${bloomNote}.`,
  '',
  '| lookup | lookups/s | false positives | filter size |',
  '| --- | --- | --- | --- |',
  ...rows.map(([name, perSecond, fp, size]) => `| ${name} | ${perSecond.toLocaleString('en-US')} | ${fp} | ${size} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
if (args.includes('--write')) writeSection('Fingerprint pre-filter (bench/micro/bloom.mjs)', `node bench/micro/bloom.mjs --keys ${n} --seconds ${seconds} --write`, lines);
