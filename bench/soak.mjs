#!/usr/bin/env node
// Soak run (issue 9, acceptance 2): one gateway process (startGateway from dist/, embedded store)
// and a local upstream, driven by a paced client at a steady rate for --minutes with a realistic
// mix: allowed transfers (4 KB JSON with PI from a fixed pool of persons, so counters stay below
// every threshold), flagged ones (a legacy binary upload on a fail-open route: uninspectable,
// forwarded with decision flag) and blocked ones (core data: 451). The gateway's RSS is read from
// /proc/<pid>/status every few seconds. At the end the gateway is stopped (SIGTERM: drains and
// closes its evidence) and checked:
// - every response is the one expected for its kind (201/flag, 201/allow, 451), no other status;
// - RSS at the end within 10% of the first minute's (mean of the samples after warm-up);
// - `xborder evidence verify` passes on the evidence folder, every response's transfer id has
//   exactly one TRANSFER record with the decision answered, every forwarded one an OUTCOME
//   record, and the numbers of records match the responses; the upstream received exactly the
//   admitted transfers.
// Every process started here is stopped by PID. Usage:
//   node bench/soak.mjs [--minutes 10] [--rate 25] [--dist DIR] [--write]
// --dist: a compiled tree to run (default: this checkout's dist/; its parent must hold package.json).
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rssMiB, startGatewayProcess, stopProcess } from './gateway-process.mjs';
import { writeSection } from './results.mjs';
import { shipment } from './payloads.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const MINUTES = Number(opt('--minutes', 10));
const RATE = Number(opt('--rate', 25)); // requests per second, all kinds together
const DIST = resolve(opt('--dist', join(HERE, '..', 'dist')));
const ROOT = dirname(DIST);
const WRITE = args.includes('--write');
const SAMPLE_MS = 5_000;
const WARMUP_MS = 15_000; // JIT and pools settle; the first minute's baseline starts after it
const MIX = [
  { kind: 'allow', weight: 8, expect: 201, decision: 'allow' },
  { kind: 'flag', weight: 1, expect: 201, decision: 'flag' },
  { kind: 'block', weight: 1, expect: 451, decision: 'block' },
];
const tmp = mkdtempSync(join(tmpdir(), 'xb-soak-'));

// ---- bodies ---------------------------------------------------------------------------------------
const POOL = 3_000; // distinct persons, counted once each: far below the first threshold
const PER_BODY = 20; // ~4 KB
const bodyOf = (kind, i) => {
  if (kind === 'flag') return { type: 'application/octet-stream', bytes: Buffer.from(`legacy-upload-${i}\n`.repeat(64)) };
  const from = (i * 7) % (POOL - PER_BODY);
  const list = Array.from({ length: PER_BODY }, (_, k) => shipment(from + k));
  const shipments = kind === 'block' ? list.map((r) => ({ ...r, coreData: true })) : list;
  return { type: 'application/json', bytes: Buffer.from(JSON.stringify({ batch: `soak-${i}`, shipments })) };
};

// ---- upstream -------------------------------------------------------------------------------------
// The transfer id is not forwarded: requests are told apart by the sequence number in their bodies.
const upstreamSeqs = [];
const upstream = createServer((req, res) => {
  let bytes = 0;
  let head = '';
  req.on('data', (c) => {
    bytes += c.length;
    if (head.length < 64) head += c.subarray(0, 64).toString('latin1');
  });
  req.on('end', () => {
    upstreamSeqs.push(Number(/(?:soak|legacy-upload)-(\d+)/.exec(head)?.[1] ?? -1));
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: true, bytes }));
  });
});
await new Promise((ok) => upstream.listen(0, '127.0.0.1', ok));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

// ---- config ---------------------------------------------------------------------------------------
const dataDir = join(tmp, 'data');
const configFile = join(tmp, 'xborder.yaml');
const route = (id, failMode) => `  - id: ${id}
    upstream: ${upstreamUrl}
    recipient: { name: Example Logistics Pte. Ltd., country: SG }
    domain: guangxi-2025/live-commerce
    scenario: cross-border-delivery
    recordRoot: $.shipments[*]
    failMode: ${failMode}
`;
writeFileSync(
  configFile,
  `company:
  name: Soak Live Commerce (Guangxi) Co., Ltd.
  regime: guangxi
  ciio: false
mode: enforce
dataDir: ${dataDir}
gatewayId: soak
listen:
  data: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
store: { kind: embedded }
policy:
  dir: ${join(ROOT, 'policy', 'packs')}
routes:
${route('sg', 'closed')}${route('legacy', 'open')}filings: []
`,
);

// ---- run ------------------------------------------------------------------------------------------
const gw = await startGatewayProcess(DIST, configFile);
const responses = []; // { kind, status, decision, transferId }
const failures = [];
const rss = []; // { t, mib }
const t0 = Date.now();
const endAt = t0 + MINUTES * 60_000;
let inFlight = 0;
let maxInFlight = 0;

async function send(kind, i) {
  const b = bodyOf(kind, i);
  const path = kind === 'flag' ? '/legacy/v1/upload' : '/sg/v1/shipments';
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  try {
    const res = await fetch(gw.url + path, { method: 'POST', headers: { 'content-type': b.type }, body: b.bytes, signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    responses.push({ kind, seq: i, status: res.status, decision: res.headers.get('x-xborder-decision') ?? (res.status === 451 ? 'block' : null), transferId: res.headers.get('x-xborder-transfer-id') });
  } catch (err) {
    failures.push(`${kind} #${i}: ${err.name}: ${err.message}`);
  } finally {
    inFlight--;
  }
}

const weights = MIX.flatMap((m) => Array(m.weight).fill(m.kind));
const sampler = setInterval(() => rss.push({ t: Date.now() - t0, mib: rssMiB(gw.pid) }), SAMPLE_MS);
rss.push({ t: 0, mib: rssMiB(gw.pid) });
const pending = new Set();
let sent = 0;
// Paced: request i leaves at t0 + i/RATE whatever the answers do (an open-loop steady rate).
while (Date.now() < endAt && gw.child.exitCode === null) {
  const due = t0 + (sent * 1000) / RATE;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const p = send(weights[sent % weights.length], sent);
  pending.add(p);
  p.finally(() => pending.delete(p));
  sent++;
  if (sent % (RATE * 60) === 0) process.stderr.write(`soak: ${Math.round((Date.now() - t0) / 1000)} s, ${responses.length} answered, RSS ${rss.at(-1).mib.toFixed(0)} MiB\n`);
}
await Promise.all(pending);
clearInterval(sampler);
rss.push({ t: Date.now() - t0, mib: rssMiB(gw.pid) });
const gatewayExit = await stopProcess(gw);
await new Promise((ok) => upstream.close(ok));

// ---- checks ---------------------------------------------------------------------------------------
const checks = [];
const check = (ok, what) => checks.push({ ok: Boolean(ok), what });
const byKind = Object.fromEntries(MIX.map((m) => [m.kind, responses.filter((r) => r.kind === m.kind)]));
const unexpected = responses.filter((r) => {
  const m = MIX.find((x) => x.kind === r.kind);
  return r.status !== m.expect || r.decision !== m.decision || !r.transferId;
});
check(failures.length === 0, `every request answered (${failures.length} failed${failures.length ? `: ${failures.slice(0, 3).join('; ')}` : ''})`);
check(unexpected.length === 0, `no unexpected status or decision (${unexpected.length}${unexpected.length ? `, e.g. ${JSON.stringify(unexpected.slice(0, 3))}` : ''})`);
check(gatewayExit === 0, `the gateway stopped cleanly on SIGTERM (exit ${gatewayExit})`);

const firstMinute = rss.filter((s) => s.t >= WARMUP_MS && s.t <= Math.max(60_000, WARMUP_MS + SAMPLE_MS));
const baseline = firstMinute.reduce((a, s) => a + s.mib, 0) / Math.max(1, firstMinute.length);
const lastMinute = rss.filter((s) => s.t >= rss.at(-1).t - 60_000);
const endRss = lastMinute.reduce((a, s) => a + s.mib, 0) / Math.max(1, lastMinute.length);
const drift = (endRss - baseline) / baseline;
check(Math.abs(drift) <= 0.1, `RSS of the last minute within 10% of the first minute's (${baseline.toFixed(1)} → ${endRss.toFixed(1)} MiB, ${(drift * 100).toFixed(1)}%)`);

const cli = spawnSync(process.execPath, [join(ROOT, 'bin', 'xborder.js'), 'evidence', 'verify', join(dataDir, 'evidence')], { cwd: ROOT, encoding: 'utf8' });
check(cli.status === 0, `xborder evidence verify passes (exit ${cli.status}: ${(cli.stdout + cli.stderr).trim().split('\n').slice(-2).join(' / ')})`);

const { readRecords } = await import(pathToFileURL(join(DIST, 'agent', 'record', 'read.js')).href);
const transfers = new Map();
const outcomes = new Map();
let duplicates = 0;
for (const { record } of readRecords(join(dataDir, 'evidence'))) {
  const map = record.kind === 'TRANSFER' ? transfers : record.kind === 'OUTCOME' ? outcomes : undefined;
  if (!map) continue;
  if (map.has(record.transferId)) duplicates++;
  map.set(record.transferId, record);
}
const answered = responses.filter((r) => r.transferId);
const missing = answered.filter((r) => !transfers.has(r.transferId));
const wrongDecision = answered.filter((r) => transfers.get(r.transferId)?.transfer?.decision !== r.decision);
const forwarded = answered.filter((r) => r.status === 201);
const noOutcome = forwarded.filter((r) => !outcomes.has(r.transferId));
const upstreamSet = new Set(upstreamSeqs);
check(missing.length === 0 && duplicates === 0, `every answered transfer has exactly one TRANSFER record (${missing.length} missing, ${duplicates} duplicated)`);
check(wrongDecision.length === 0, `each TRANSFER record holds the decision answered (${wrongDecision.length} differ)`);
check(transfers.size === answered.length, `TRANSFER records = responses (${transfers.size} = ${answered.length})`);
check(noOutcome.length === 0 && outcomes.size === forwarded.length, `an OUTCOME record per forwarded transfer (${outcomes.size} for ${forwarded.length})`);
check(upstreamSeqs.length === forwarded.length && forwarded.every((r) => upstreamSet.has(r.seq)), `the upstream received exactly the forwarded transfers (${upstreamSeqs.length} for ${forwarded.length})`);

// ---- report ---------------------------------------------------------------------------------------
const elapsed = (rss.at(-1).t / 1000).toFixed(0);
const pass = checks.every((c) => c.ok);
const rssRow = (s) => `${(s.t / 1000).toFixed(0)} s: ${s.mib.toFixed(1)}`;
const every = Math.max(1, Math.floor(rss.length / 12));
const lines = [
  `Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared with other work. Gateway process on the embedded store, logs at warn; paced client (open loop) at ${RATE} requests/s for ${MINUTES} min (${elapsed} s measured), at most ${maxInFlight} in flight.`,
  '',
  '| kind | share | route | body | answered | expected |',
  '| --- | --- | --- | --- | --- | --- |',
  `| allowed | 80% | \`sg\` (fail-closed) | 4 KB JSON, ${PER_BODY} shipments with PI from a pool of ${POOL} persons | ${byKind.allow.length} | 201, \`allow\` |`,
  `| flagged | 10% | \`legacy\` (fail-open) | 1 KB \`application/octet-stream\` (uninspectable) | ${byKind.flag.length} | 201, \`flag\` |`,
  `| blocked | 10% | \`sg\` | 4 KB JSON with \`coreData\` (important data) | ${byKind.block.length} | 451 |`,
  '',
  `RSS (MiB), every ${(every * SAMPLE_MS) / 1000} s: ${rss.filter((_, i) => i % every === 0).map(rssRow).join(' · ')} · end ${rss.at(-1).mib.toFixed(1)}. Baseline = mean of the samples from ${WARMUP_MS / 1000} s to 60 s; end = mean of the last minute's.`,
  '',
  ...checks.map((c) => `- ${c.ok ? 'PASS' : 'FAIL'}: ${c.what}`),
  '',
  `**${pass ? 'Passed' : 'Failed'}.**`,
];
console.log(lines.join('\n'));
if (WRITE) writeSection('Soak run (bench/soak.mjs)', `npm run soak -- --minutes ${MINUTES} --rate ${RATE}`, lines);
rmSync(tmp, { recursive: true, force: true });
process.exit(pass ? 0 : 1);
