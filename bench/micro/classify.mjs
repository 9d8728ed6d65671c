#!/usr/bin/env node
// Classifier micro-benchmark (issue 4, acceptance 3; issue 10's second target): records/s and MB/s
// of parse + classify on 4 KB, 64 KB and 4 MB live-commerce JSON bodies, next to JSON.parse alone
// on the same bytes, as a ratio; and the two stages apart: parse alone, and classify alone over the
// records parse gave (the same work, timed without the parse). Runs the compiled code (npm run
// build) in this process; bounded in time per case.
// Usage: node bench/micro/classify.mjs [--seconds 2] [--write]   (--write updates bench/RESULTS.md)
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classify } from '../../dist/agent/classify/index.js';
import { parse } from '../../dist/agent/parse/index.js';
import { compileRecordRoot } from '../../dist/agent/parse/recordRoot.js';
import { compilePolicy } from '../../dist/agent/policy/compile.js';
import { indexIndicators } from '../../dist/agent/policy/indicators.js';
import { loadPacks } from '../../dist/agent/policy/load.js';
import { writeSection } from '../results.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] || 2);
const policy = compilePolicy(loadPacks(join(root, 'policy', 'packs')));
const domain = policy.domains.get('guangxi-2025/live-commerce');
const indicators = indexIndicators([domain, ...(policy.everyTransfer.get('guangxi') ?? [])].filter((d) => d.indicatorRules.length > 0));
const route = { recordRoot: compileRecordRoot('$.shipments[*]') };

const shipment = (n) => ({
  orderNo: `GX2026${String(n).padStart(8, '0')}`,
  shipperName: `发货人${n}`,
  shipperPhone: `139${String(n % 1e8).padStart(8, '0')}`,
  shippingAddress: `广西南宁市青秀区民族大道${n % 1000}号`,
  shippingTime: '2026-05-01T10:00:00+08:00',
  goodsName: '广西六堡茶礼盒装',
  quantity: 1 + (n % 5),
  remark: n % 10 === 0 ? '请尽快发货，谢谢' : '',
});
function body(targetBytes) {
  const shipments = [];
  for (let bytes = 16, n = 0; bytes < targetBytes; n++) {
    shipments.push(shipment(n));
    bytes += Buffer.byteLength(JSON.stringify(shipment(n))) + 1;
  }
  return Buffer.from(JSON.stringify({ shipments }));
}

/** Run fn repeatedly for `seconds`; returns operations per second. */
function rate(fn) {
  for (let i = 0; i < 3; i++) fn(); // warm up
  let ops = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    fn();
    ops++;
    now = process.hrtime.bigint();
  }
  return ops / (Number(now - start) / 1e9);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const loadStart = loadavg()[0];
const rows = [];
for (const [label, size] of [['4 KB', 4 * 1024], ['64 KB', 64 * 1024], ['4 MB', 4 * 1024 * 1024]]) {
  const bytes = body(size);
  const records = JSON.parse(bytes.toString()).shipments.length;
  const onDate = new Date();
  const b = { bytes, contentType: 'application/json', contentEncoding: undefined };
  const parsed = parse(b, route);
  const runs = { json: [], classify: [], parse: [], alone: [] };
  // Interleaved, so a load change on a shared machine hits every column alike.
  for (let i = 0; i < 3; i++) {
    runs.json.push(rate(() => JSON.parse(bytes.toString('utf8'))));
    runs.classify.push(rate(() => classify(parse(b, route), domain, onDate, indicators)));
    runs.parse.push(rate(() => parse(b, route)));
    runs.alone.push(rate(() => classify(parsed, domain, onDate, indicators)));
  }
  const json = median(runs.json);
  const cls = median(runs.classify);
  const mb = bytes.length / 1e6;
  rows.push({
    label, bytes: bytes.length, records, jsonMBs: json * mb, classifyMBs: cls * mb, recordsPerSec: cls * records, ratio: cls / json,
    parseMBs: median(runs.parse) * mb, aloneMBs: median(runs.alone) * mb, aloneRatio: median(runs.alone) / json,
  });
}

// The first seven columns keep their order: bench/proxy.mjs reads them.
const table = [
  '| body | bytes | records | JSON.parse alone MB/s | parse + classify MB/s | records/s | ratio to JSON.parse | parse alone MB/s | classify alone MB/s | classify alone ÷ JSON.parse |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.label} | ${r.bytes} | ${r.records} | ${r.jsonMBs.toFixed(1)} | ${r.classifyMBs.toFixed(1)} | ${Math.round(r.recordsPerSec)} | ${r.ratio.toFixed(2)} | ${r.parseMBs.toFixed(1)} | ${r.aloneMBs.toFixed(1)} | ${r.aloneRatio.toFixed(2)} |`),
].join('\n');
process.stdout.write(`${table}\n`);
if (args.includes('--write')) {
  writeSection('classifier micro-benchmark', `node bench/micro/classify.mjs --seconds ${seconds} --write`, [
    `Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}); medians of 3 interleaved runs of ${seconds} s per column, one process; 1-minute load average ${loadStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (the machine is shared: other work may run beside the bench).`,
    '"parse + classify" is the whole work (`parse` of the bytes, then `classify`), and its ratio to `JSON.parse` alone on the same bytes is the target\'s figure (issue 10: ≥ 0.40). "parse alone" is `parse` (agent/parse: charset decoding, `JSON.parse`, its key and depth scan, the record root); "classify alone" is `classify` over records parsed once beforehand, the classifier\'s own share.',
    'Bodies: live-commerce shipment batches (Chinese names and addresses, mobiles), record root `$.shipments[*]`, the Guangxi live-commerce domain plus the Guangxi important-data reference rules\' indicators (as a Guangxi route classifies).',
    'Before issue 10\'s hot-path work (this section at commit cc14f82, same kind of machine): parse + classify ÷ JSON.parse 0.16 (4 KB), 0.19 (64 KB), 0.20 (4 MB); 64 KB at 31.8 MB/s. What changed: docs/decisions/0011-hot-path.md.',
    '',
    table,
  ]);
}
