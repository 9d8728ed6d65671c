#!/usr/bin/env node
// Fuzz run of the data plane (issue 9, acceptance 3): a gateway process (startGateway from dist/,
// embedded store, gateway-process.mjs) and a local upstream; --inputs random and mutated bodies
// (fuzz-inputs.mjs: the labelled corpus and valid bodies of every format with bit flips, byte
// overwrites, truncation, splices, hostile tokens, Content-Encodings, content-type swaps) sent over
// HTTP with --in-flight requests at a time, bounded by --max-minutes. Passes when:
// - no response is a 5xx (none is deliberate here: the store is embedded, the upstream answers);
// - every 4xx carries a problem body with an XB_ code;
// - the upstream received exactly the transfers answered 201 (nothing refused was forwarded);
// - the gateway answers a valid transfer afterwards, is still the same process, and stops cleanly.
// Usage: node bench/fuzz.mjs [--inputs 100000] [--in-flight 16] [--seed 1] [--max-minutes 30] [--dist DIR] [--write]
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { FUZZ_ROUTES, fuzzInputs } from './fuzz-inputs.mjs';
import { rssMiB, startGatewayProcess, stopProcess } from './gateway-process.mjs';
import { writeSection } from './results.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const INPUTS = Number(opt('--inputs', 100_000));
const IN_FLIGHT = Number(opt('--in-flight', 16));
const SEED = Number(opt('--seed', 1));
const MAX_MS = Number(opt('--max-minutes', 30)) * 60_000;
const DIST = resolve(opt('--dist', join(HERE, '..', 'dist')));
const ROOT = dirname(DIST);
const WRITE = args.includes('--write');
const tmp = mkdtempSync(join(tmpdir(), 'xb-fuzz-'));

// ---- upstream: counts what reaches it ---------------------------------------------------------------
let forwarded = 0;
const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    forwarded++;
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"accepted":true}');
  });
});
await new Promise((ok) => upstream.listen(0, '127.0.0.1', ok));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

// ---- gateway --------------------------------------------------------------------------------------
const configFile = join(tmp, 'xborder.yaml');
writeFileSync(
  configFile,
  `company: { name: "Fuzz Live Commerce (Guangxi) Co., Ltd.", regime: guangxi, ciio: false }
mode: enforce
dataDir: ${join(tmp, 'data')}
gatewayId: fuzz
listen:
  data: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
store: { kind: embedded }
limits: { memoryBytes: 262144, bodyBytes: 1048576, decompressedBytes: 4194304 }
policy: { dir: ${join(ROOT, 'policy', 'packs')} }
routes:
${FUZZ_ROUTES.map(
  (r) => `  - id: ${r.id}
    upstream: ${upstreamUrl}
    recipient: { name: Example Logistics Pte. Ltd., country: SG }
    domain: guangxi-2025/live-commerce
    scenario: cross-border-delivery
    recordRoot: ${r.recordRoot}
    failMode: ${r.failMode}
`,
).join('')}filings: []
`,
);
const gw = await startGatewayProcess(DIST, configFile);
const agent = new Agent({ connections: IN_FLIGHT });

// ---- run ------------------------------------------------------------------------------------------
const inputs = fuzzInputs({ seed: SEED, corpusDir: join(ROOT, 'test', 'fixtures', 'corpus', 'files') });
const statuses = new Map();
const codes = new Map();
const bad = [];
const transportErrors = [];
let created = 0;
let sent = 0;
let bytesSent = 0;
const t0 = Date.now();
const rssStart = rssMiB(gw.pid);
let rssMax = rssStart;
const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssMiB(gw.pid))), 2_000);

async function worker() {
  while (sent < INPUTS && Date.now() - t0 < MAX_MS && gw.child.exitCode === null) {
    const i = sent++;
    const input = inputs.next();
    bytesSent += input.body.length;
    try {
      const res = await request(`${gw.url}/${input.route}/fuzz`, { method: 'POST', headers: input.headers, body: input.body, dispatcher: agent, headersTimeout: 60_000, bodyTimeout: 60_000 });
      const text = await res.body.text();
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const code = /"code":"(XB_[A-Z_]+)"/.exec(text)?.[1];
      if (code) codes.set(`${res.statusCode} ${code}`, (codes.get(`${res.statusCode} ${code}`) ?? 0) + 1);
      if (res.statusCode === 201) created++;
      else if (res.statusCode >= 500) bad.push(`#${i} ${input.kind} → ${res.statusCode} ${text.slice(0, 300)}`);
      else if (res.statusCode >= 400 && !code) bad.push(`#${i} ${input.kind} → ${res.statusCode} without a problem code`);
    } catch (err) {
      transportErrors.push(`#${i} ${input.kind}: ${err.code ?? err.name}: ${err.message}`);
    }
    if (i > 0 && i % 10_000 === 0) process.stderr.write(`fuzz: ${i} sent, ${Math.round((Date.now() - t0) / 1000)} s, RSS ${rssMiB(gw.pid).toFixed(0)} MiB\n`);
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
const elapsed = (Date.now() - t0) / 1000;
clearInterval(sampler);
const answered = [...statuses.values()].reduce((a, b) => a + b, 0);

const after = await request(`${gw.url}/flat/after`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderNo":"after-fuzz"}', dispatcher: agent }).then(
  async (r) => (await r.body.text(), r.statusCode),
  (err) => `${err.code ?? err.name}`,
);
const alive = gw.child.exitCode === null;
const rssEnd = alive ? rssMiB(gw.pid) : NaN;
await agent.close();
const exit = await stopProcess(gw);
await new Promise((ok) => upstream.close(ok));
const faults = gw.stderr().split('\n').filter((l) => l.includes('xborder.fault') || l.includes('XB_INTERNAL'));

// ---- report ---------------------------------------------------------------------------------------
const checks = [
  [answered >= INPUTS && transportErrors.length === 0, `${answered} of ${INPUTS} inputs answered (${transportErrors.length} transport errors${transportErrors.length ? `: ${transportErrors.slice(0, 3).join('; ')}` : ''})`],
  [bad.length === 0, `no 5xx and every 4xx a problem body with a code (${bad.length} not${bad.length ? `: ${bad.slice(0, 3).join(' | ')}` : ''})`],
  [faults.length === 0, `no xborder.fault or XB_INTERNAL in the gateway's log (${faults.length})`],
  [forwarded === created + (after === 201 ? 1 : 0), `the upstream received exactly the transfers answered 201 (${forwarded} for ${created} + the check after)`],
  [after === 201 && alive, `the same gateway process answers a valid transfer afterwards (${after})`],
  [exit === 0, `it stops cleanly on SIGTERM (exit ${exit})`],
];
const pass = checks.every(([ok]) => ok);
const top = [...codes.entries()].sort((a, b) => b[1] - a[1]);
const lines = [
  `Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared with other work. Gateway process on the embedded store (limits: 256 KiB in memory, 1 MiB parsed in memory, 4 MiB decoded), ${IN_FLIGHT} requests in flight over HTTP, seed ${SEED}.`,
  '',
  `${answered} inputs (${(bytesSent / 1e6).toFixed(1)} MB) in ${elapsed.toFixed(0)} s (${(answered / elapsed).toFixed(0)}/s): seeds = the ${'labelled corpus'} and 7 valid bodies; 10% sent as they are, the rest with 1–3 mutations (bit flips, byte overwrites, truncation, splices, hostile tokens, duplicated regions, random bytes); 20% with the content type swapped, 20% encoded (gzip, deflate, br, stacked, unknown; 40% of those mutated after encoding); routes at \`$\`, at \`$.shipments[*]\` and a fail-open one. Gateway RSS ${rssStart.toFixed(0)} MiB at the start, ${rssMax.toFixed(0)} MiB at most, ${rssEnd.toFixed(0)} MiB at the end.`,
  '',
  '| status | responses |',
  '| --- | --- |',
  ...[...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `| ${s} | ${n} |`),
  '',
  `Problem codes: ${top.map(([k, n]) => `${k} ×${n}`).join(', ')}.`,
  '',
  ...checks.map(([ok, what]) => `- ${ok ? 'PASS' : 'FAIL'}: ${what}`),
  '',
  `**${pass ? 'Passed' : 'Failed'}.**`,
];
console.log(lines.join('\n'));
if (!pass && bad.length) console.error(bad.slice(0, 20).join('\n'));
if (WRITE) writeSection('Fuzz run (bench/fuzz.mjs)', `npm run fuzz -- --inputs ${INPUTS} --in-flight ${IN_FLIGHT} --seed ${SEED}`, lines);
rmSync(tmp, { recursive: true, force: true });
process.exit(pass ? 0 : 1);
