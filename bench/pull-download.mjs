// A 200 MB CSV download through a pull route (issue 12): a domestic export API streams generated
// shipments, an overseas caller downloads them through the gateway (bin/xborder.js, its own
// process, from dist/), which spools the response, inspects it in batches, decides it and only
// then sends it. Measures: wall time to the first byte (= inspection), total time, MB/s, records
// and persons in the decision line, the gateway's peak RSS (VmHWM) before and after, and checks
// that the caller got every byte (SHA-256) and that the spool folder is empty afterwards.
// Usage: npm run build && node bench/pull-download.mjs [--mb 200] [--write]
// Loopback only; bounded: the gateway is stopped by PID (SIGTERM, SIGKILL after 15 s), the run
// is abandoned after 10 minutes.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { writeSection } from './results.mjs';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const MB = Number(args[args.indexOf('--mb') + 1] ?? 200) || 200;
const TOTAL = MB * 1024 * 1024;
const PERSONS = 50_000;
const DEADLINE = Date.now() + 10 * 60_000;
const KEY = randomBytes(16).toString('hex');

const dir = mkdtempSync(join(tmpdir(), 'xb-pull-bench-'));
const sent = { bytes: 0, hash: createHash('sha256') };
const exporter = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
  let row = 0;
  const write = (chunk) => {
    sent.bytes += chunk.length;
    sent.hash.update(chunk);
    return res.write(chunk);
  };
  write(Buffer.from('orderNo,shipperName,shipperPhone,shippingAddress,shippingTime,goodsName,quantity\r\n'));
  const more = () => {
    while (sent.bytes < TOTAL) {
      const lines = [];
      for (let i = 0; i < 1000; i++, row++) {
        const n = row % PERSONS;
        lines.push(`O-${row},发货人${n},139${String(n).padStart(8, '0')},广西南宁市青秀区民族大道${n % 1000}号,2026-05-01T10:00:00+08:00,六堡茶,${1 + (n % 5)}\r\n`);
      }
      if (!write(Buffer.from(lines.join('')))) return void res.once('drain', more);
    }
    res.end();
  };
  more();
});
await new Promise((r) => exporter.listen(0, '127.0.0.1', r));
const upstream = `http://127.0.0.1:${exporter.address().port}`;

const configFile = join(dir, 'xborder.yaml');
writeFileSync(
  configFile,
  stringify({
    company: { name: 'Pull Bench Co.', regime: 'guangxi' },
    gatewayId: 'pull-bench',
    dataDir: join(dir, 'data'),
    listen: { data: { port: 0 }, admin: { port: 0 } },
    policy: { dir: join(ROOT, 'policy', 'packs') },
    evidence: { fsync: 'interval' },
    routes: [
      {
        id: 'dl',
        direction: 'pull',
        upstream,
        callers: [{ name: 'Example Holdings (Singapore) Pte. Ltd.', country: 'SG', apiKeySha256: createHash('sha256').update(KEY).digest('hex') }],
        domain: 'guangxi-2025/live-commerce',
        scenario: 'cross-border-delivery',
      },
    ],
  }),
);
const child = spawn(process.execPath, [join(ROOT, 'bin', 'xborder.js'), 'start', '--config', configFile], { cwd: dir, env: { ...process.env, XB_HMAC_KEY: '', XB_ADMIN_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
child.stdout.on('data', (c) => (out += c));
child.stderr.on('data', (c) => (out += c));
const exited = new Promise((r) => child.once('exit', r));
const waitLine = async (text, ms) => {
  const until = Math.min(Date.now() + ms, DEADLINE);
  while (Date.now() < until) {
    const line = out.split('\n').find((l) => l.includes(text));
    if (line) return line;
    if (child.exitCode !== null) throw new Error(`gateway exited:\n${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${text}`);
};
const status = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;

try {
  const { dataUrl } = JSON.parse(await waitLine('"xborder.started"', 30_000));
  const before = status('VmRSS');
  const t0 = performance.now();
  const res = await fetch(`${dataUrl}/dl/export.csv`, { headers: { 'x-api-key': KEY }, signal: AbortSignal.timeout(DEADLINE - Date.now()) });
  const firstByte = performance.now() - t0;
  const got = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.body) {
    bytes += chunk.length;
    got.update(chunk);
  }
  const total = performance.now() - t0;
  const line = JSON.parse(await waitLine('"xborder.decision"', 10_000));
  const peak = status('VmHWM');
  const whole = res.status === 200 && bytes === sent.bytes && got.digest('hex') === sent.hash.digest('hex');
  const spoolLeft = readdirSync(join(dir, 'data', 'spool', 'pull-bench')).length;
  const rows = [
    '| download | status, decision | records | persons | headers after (inspection) | total | MB/s | RSS before | peak RSS | every byte arrived | spool files left |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${(bytes / 2 ** 20).toFixed(0)} MiB CSV | ${res.status} ${res.headers.get('x-xborder-decision')} | ${line.records} | ${line.persons} | ${(firstByte / 1000).toFixed(1)} s | ${(total / 1000).toFixed(1)} s | ${(bytes / 2 ** 20 / (total / 1000)).toFixed(1)} | ${before.toFixed(0)} MiB | ${peak.toFixed(0)} MiB | ${whole ? 'yes (SHA-256)' : 'NO'} | ${spoolLeft} |`,
    '',
    `Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}); limits.memoryBytes default (8 MiB), evidence fsync interval; stage ms from the decision line: ${JSON.stringify(line.ms)}.`,
  ];
  console.log(rows.join('\n'));
  if (!whole) process.exitCode = 1;
  if (args.includes('--write')) writeSection('pull-mode download (bench/pull-download.mjs)', `node bench/pull-download.mjs --mb ${MB} --write`, rows);
} finally {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
  await new Promise((r) => exporter.close(r));
  rmSync(dir, { recursive: true, force: true });
}
