#!/usr/bin/env node
/**
 * `npm run demo`: the gateway and its dashboard with a year of traffic behind them, on this
 * machine only (127.0.0.1). Three child processes, each stopped by its PID on Ctrl-C, SIGTERM,
 * `--exit-after N` or a failure:
 *
 *   upstream  bench/upstream.mjs, the stand-in overseas logistics partner;
 *   gateway   the compiled gateway (dist/, built first if stale) on a temp copy of
 *             xborder.example.yaml: its own temp dataDir, a generated admin token, and a demo
 *             standard contract covering item 7 that expires in 52 days (so "filings expiring"
 *             has a row). It runs on a *demo clock* the traffic generator sets day by day, so
 *             1 January → yesterday plays in about --play-seconds, then the clock is real time;
 *   traffic   a year of Guangxi live-commerce shipments on scenario 跨境配送: shipper-only batches
 *             (item 6's listed data items → the limited counter) up to 99,950 distinct shippers by
 *             yesterday, buyer batches beside them (→ the general counter). Today's first shipper
 *             batch would take the limited counter past 100,000 and is refused with 451; after
 *             that a small batch every 4 s keeps the dashboard moving (some flagged, some refused).
 *
 * The dashboard URL with the token is printed first; progress as it goes.
 * Never: send anything to a host other than 127.0.0.1, retry a request, or loop without a bound
 * in count and in time.
 *
 * Usage: node scripts/demo.mjs [--exit-after S] [--play-seconds S] [--data-port P]
 *        [--admin-port P] [--upstream-port P] [--keep]
 *   ports default to 8080 / 9090 / 8081, or a free port when that one is taken; 0 = any free port.
 *   Exit status: 0 when stopped after the refusal was seen, 1 otherwise (a child failed, or
 *   --exit-after came first).
 */
import { fork, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const CHINA_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;
const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';

// ---------------------------------------------------------------------------------------------
// Time in China (UTC+8), as the gateway counts it (agent/clock.ts).
const chinaDay = (ms) => new Date(ms + CHINA_MS).toISOString().slice(0, 10);
const chinaYear = (ms) => new Date(ms + CHINA_MS).getUTCFullYear();
/** `YYYY-MM-DD` at `hour` China time, as epoch ms. */
const atChinaHour = (day, hour) => Date.parse(`${day}T00:00:00+08:00`) + hour * 3600 * 1000;
const fmt = (n) => n.toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------
// The demo itself: build, ports, config, children, output, shutdown.

async function main(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'exit-after': { type: 'string' },
        'play-seconds': { type: 'string', default: '60' },
        'data-port': { type: 'string' },
        'admin-port': { type: 'string' },
        'upstream-port': { type: 'string' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`demo: ${err.message}\n`);
    return usage(2);
  }
  if (values.help) return usage(0);
  const num = (name, min, max) => {
    const v = values[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}, not ${v}`);
    return n;
  };
  let exitAfter, playSeconds, ports;
  try {
    exitAfter = num('exit-after', 1, 7 * 24 * 3600);
    playSeconds = num('play-seconds', 0, 600);
    ports = { data: num('data-port', 0, 65535), admin: num('admin-port', 0, 65535), upstream: num('upstream-port', 0, 65535) };
  } catch (err) {
    process.stderr.write(`demo: ${err.message}\n`);
    return usage(2);
  }

  if (!build()) return 1;
  const dataPort = await pickPort(ports.data, 8080);
  const adminPort = await pickPort(ports.admin, 9090, [dataPort]);
  const upstreamPort = await pickPort(ports.upstream, 8081, [dataPort, adminPort]);

  const dir = mkdtempSync(join(tmpdir(), 'xb-demo-'));
  const token = randomBytes(24).toString('base64url');
  const startMs = Date.now();
  const configFile = writeDemoConfig(dir, { dataPort, adminPort, upstreamPort, now: startMs });
  const logFile = join(dir, 'gateway.log');

  const children = [];
  let stopping;
  let refused = false;
  const stopAll = async (code) => {
    stopping ??= (async () => {
      // Traffic first (nothing in flight when the gateway closes), then gateway, then upstream.
      for (const c of [...children].reverse()) await stopChild(c, 10_000);
      if (values.keep) say(`kept ${dir} (config, gateway.log, data/)`);
      else rmSync(dir, { recursive: true, force: true });
      return code;
    })();
    return stopping;
  };
  // Last resort if the demo dies some other way: no child outlives it.
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) safeKill(c.pid, 'SIGKILL');
  });

  const finished = new Promise((resolve) => {
    const onSignal = (signal) => {
      say(`${signal}: stopping the demo`);
      resolve(stopAll(refused ? 0 : 1));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (exitAfter !== undefined) {
      setTimeout(() => {
        say(`--exit-after ${exitAfter}: stopping the demo`);
        resolve(stopAll(refused ? 0 : 1));
      }, exitAfter * 1000).unref();
    }
    const failed = (what) => (code, signal) => {
      if (stopping) return;
      say(`${what} exited unexpectedly (${signal ?? `code ${code}`}); see ${relative(process.cwd(), logFile)}`, true);
      values.keep = true;
      resolve(stopAll(1));
    };

    (async () => {
      // 1. The stand-in overseas upstream.
      // Every child in its own process group (detached): Ctrl-C reaches the demo only, which stops
      // them in order, by PID. Each also has an IPC channel and exits when it closes, so none
      // outlives a demo killed outright (the upstream through a one-line preload).
      const upstream = fork(join(REPO, 'bench', 'upstream.mjs'), [String(upstreamPort)], {
        execArgv: ['--import', 'data:text/javascript,process.once("disconnect",()=>process.exit(0))'],
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
        detached: true,
      });
      children.push(upstream);
      upstream.on('exit', failed('the upstream'));
      await firstLine(upstream.stdout, 'demo upstream on', 10_000);

      // 2. The gateway on the demo clock, its log in the temp dir.
      const year = chinaYear(startMs);
      const clockStart = atChinaHour(`${year}-01-01`, 0) + 1000;
      const out = openSync(logFile, 'a');
      const env = { ...process.env, XB_ADMIN_TOKEN: token };
      delete env.XB_HMAC_KEY; // generated into the temp dataDir
      const gateway = fork(SELF, ['--role-gateway', configFile, String(clockStart)], { env, stdio: ['ignore', out, out, 'ipc'], detached: true });
      children.push(gateway);
      gateway.on('exit', failed('the gateway'));
      const started = await nextMessage(gateway, 'started', 30_000);
      const adminUrl = started.adminUrl;
      say('');
      say(`dashboard  ${adminUrl}/dashboard?token=${token}`);
      say(`           (opens the page and sets its cookie; the API also takes "authorization: Bearer ${token}")`);
      say(`data plane ${started.dataUrl}/sg-logistics/v1/shipments → upstream http://127.0.0.1:${upstreamPort}`);
      say(`config     ${configFile}`);
      say(`log        ${logFile}`);
      say('');

      // 3. The traffic generator; the parent relays its clock to the gateway.
      const traffic = fork(SELF, ['--role-traffic', started.dataUrl, String(playSeconds), String(startMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
      children.push(traffic);
      traffic.on('exit', (code, signal) => {
        if (code === 0 && !stopping) return say('traffic generator done; the dashboard stays up until Ctrl-C');
        failed('the traffic generator')(code, signal);
      });
      traffic.on('message', (m) => {
        if (m.type === 'clock') {
          // Relay to the gateway; the generator waits for the ack before sending that day.
          gateway.send(m);
          return;
        }
        if (m.type === 'progress') return say(progressLine(m));
        if (m.type === 'refused') {
          refused = true;
          say(`451 refused  ${m.batch}: ${m.summary}`);
          say(`             the batch was not forwarded; nobody was added. Add a standard contract covering item 6 to allow it.`);
          return;
        }
        if (m.type === 'played') {
          // The generator waits for this before today's batches: the status is printed before the refusal.
          const ack = () => traffic.connected && traffic.send({ type: 'ack', seq: m.seq });
          return void printStatus(adminUrl, token, m).then(ack, (err) => (say(`status: ${err.message}`, true), ack()));
        }
        if (m.type === 'note') return say(m.text);
      });
      gateway.on('message', (m) => {
        if (m.type === 'clock-ack' && traffic.connected) traffic.send({ type: 'ack', seq: m.seq });
      });
    })().catch((err) => {
      say(`demo: ${err.message}`, true);
      values.keep = true;
      resolve(stopAll(1));
    });
  });
  return finished;
}

function usage(code) {
  (code === 0 ? process.stdout : process.stderr).write(
    'usage: node scripts/demo.mjs [--exit-after S] [--play-seconds S (60)] [--data-port P (8080)] [--admin-port P (9090)] [--upstream-port P (8081)] [--keep]\n',
  );
  return code;
}

const say = (line, err = false) => (err ? process.stderr : process.stdout).write(`${line}\n`);

function progressLine(m) {
  const pct = (Math.floor((m.limited / 100_000) * 10_000) / 100).toFixed(2);
  const tally = `${fmt(m.transfers)} transfers (${fmt(m.allow)} allowed, ${fmt(m.flag)} flagged, ${fmt(m.block)} refused)`;
  return `${m.day}  limited ${fmt(m.limited).padStart(7)} (${pct.padStart(5)}% of item 6's 100,000)  general ${fmt(m.general).padStart(6)}  ${tally}`;
}

/** After the play: what the gateway itself reports, from /api/status. */
async function printStatus(adminUrl, token, played) {
  const res = await fetch(`${adminUrl}/api/status`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`/api/status answered ${res.status}`);
  const status = await res.json();
  const of = (ref) => status.counters.find((c) => c.counter === ref);
  for (const ref of [LIMITED, GENERAL]) {
    const c = of(ref);
    if (!c) continue;
    const next = c.thresholds.find((t) => !t.reached);
    const pct = next ? (Math.floor((c.exact / next.min) * 10_000) / 100).toFixed(2) : '';
    const util = next ? ` — ${pct}% of item ${next.item}'s ${fmt(next.min)} (${next.filing ? `covered by ${next.filing}` : 'no filing'})` : '';
    say(`gateway    ${ref}: ${fmt(c.exact)} persons${util}`);
  }
  say(`played     ${played.days} days in ${(played.ms / 1000).toFixed(1)} s; the gateway clock is real time from now on`);
}

// ---------------------------------------------------------------------------------------------
// Build, ports, config.

/** Compile agent/ into dist/ when a source is newer than its output (or missing). */
function build() {
  const stale = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const out = join(REPO, 'dist', relative(REPO, p)).replace(/\.ts$/, '.js');
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs) stale.push(p);
      }
    }
  };
  walk(join(REPO, 'agent'));
  if (stale.length === 0) return true;
  say(`building (${stale.length} source file${stale.length === 1 ? '' : 's'} newer than dist/)…`);
  const run = spawnSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO, 'tsconfig.build.json')], {
    cwd: REPO,
    stdio: 'inherit',
    timeout: 180_000,
  });
  if (run.status !== 0) say('demo: the build failed (npm run build); not starting', true);
  return run.status === 0;
}

/** `wanted` if given (0: any free port); else `dflt` when it is free, else any free port. */
async function pickPort(wanted, dflt, taken = []) {
  if (wanted !== undefined && wanted !== 0) return wanted;
  if (wanted === undefined && !taken.includes(dflt) && (await canListen(dflt))) return dflt;
  for (let i = 0; i < 20; i++) {
    const p = await freePort();
    if (!taken.includes(p)) return p;
  }
  throw new Error('no free port on 127.0.0.1');
}

const canListen = (port) =>
  new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/**
 * xborder.example.yaml with its comments, pointed at the temp dir and the demo ports, and one
 * demo filing: a standard contract for item 7 (general counter) expiring 52 days from now.
 */
function writeDemoConfig(dir, { dataPort, adminPort, upstreamPort, now }) {
  const doc = parseDocument(readFileSync(join(REPO, 'xborder.example.yaml'), 'utf8'));
  const year = chinaYear(now);
  doc.set('gatewayId', 'demo');
  doc.set('dataDir', join(dir, 'data'));
  doc.setIn(['listen', 'data', 'port'], dataPort);
  doc.setIn(['listen', 'admin', 'port'], adminPort);
  doc.setIn(['policy', 'dir'], join(REPO, 'policy', 'packs'));
  doc.setIn(['routes', 0, 'upstream'], `http://127.0.0.1:${upstreamPort}`);
  doc.set(
    'filings',
    doc.createNode([
      {
        id: `SC-${year}-0007`,
        kind: 'standard-contract',
        covers: { list: 'guangxi-2025', domains: ['live-commerce'], items: [7], recipients: ['Example Logistics Pte. Ltd.'] },
        effective: `${year}-01-05`,
        expires: chinaDay(now + 52 * DAY_MS),
        filedOn: `${year}-01-09`,
      },
    ]),
  );
  const file = join(dir, 'xborder.yaml');
  writeFileSync(file, `# npm run demo: a temp copy of xborder.example.yaml (scripts/demo.mjs)\n${doc.toString()}`);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Child plumbing.

function safeKill(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM the child by its PID, SIGKILL after `ms`; resolves once it has exited. */
async function stopChild(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  safeKill(child.pid, 'SIGTERM');
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  if ((await Promise.race([exited, late])) === 'late') {
    safeKill(child.pid, 'SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

function firstLine(stream, text, ms) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${ms} ms`)), ms);
    stream.on('data', (c) => {
      buf += c.toString();
      if (buf.includes(text)) {
        clearTimeout(timer);
        resolve(buf);
      }
    });
  });
}

function nextMessage(child, type, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${type}" message within ${ms} ms`)), ms);
    const on = (m) => {
      if (m?.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
}

// ---------------------------------------------------------------------------------------------
// The gateway child: startGateway from dist/ on a clock the traffic generator sets.

async function gatewayRole([configFile, clockStart]) {
  const { startGateway } = await import('../dist/agent/gateway.js');
  const { createLogger } = await import('../dist/agent/observability/log.js');
  // Demo clock: a set instant plus the real time since it was set, until told to run real time.
  // The generator only ever moves it forward, and switches to real time before today.
  let base = Number(clockStart);
  let setAt = performance.now();
  let real = false;
  const clock = { now: () => (real ? new Date() : new Date(base + (performance.now() - setAt))) };
  process.on('message', (m) => {
    if (m?.type !== 'clock') return;
    if (m.real) real = true;
    else {
      base = m.ms;
      setAt = performance.now();
    }
    process.send({ type: 'clock-ack', seq: m.seq });
  });
  const log = createLogger();
  const gateway = await startGateway({ configFile, clock, log });
  process.send({ type: 'started', dataUrl: gateway.dataUrl, adminUrl: gateway.adminUrl });
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    process.once('disconnect', resolve); // the demo is gone
  });
  await gateway.close();
  log.info('xborder.stopped');
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// The traffic generator child.

/** mulberry32: a small seeded PRNG in [0, 1); the same year on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Distinct shippers on the limited counter by the end of yesterday: 99.95% of item 6's 100,000. */
const LIMITED_BY_YESTERDAY = 99_950;
/** Buyers (general counter, with the shippers of their records) over the year. */
const BUYERS_BY_YESTERDAY = 22_000;
/** Records per request, at most. */
const BATCH_RECORDS = 500;
/** The played year may take at most this long before the generator gives up (ms). */
const PLAY_LIMIT_MS = 300_000;
/** After the play: one small batch every LIVE_EVERY_MS, at most LIVE_BATCHES of them (4 h). */
const LIVE_EVERY_MS = 4_000;
const LIVE_BATCHES = 3_600;

const SURNAMES = [...'李王张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁韦蒙覃莫'];
const GIVEN = [...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲'];
const CITIES = ['南宁市青秀区民族大道', '柳州市城中区文昌路', '桂林市秀峰区中山中路', '梧州市万秀区西江一路', '北海市海城区北部湾中路', '玉林市玉州区人民东路', '钦州市钦南区扬帆大道', '百色市右江区向阳路'];
const GOODS = ['六堡茶', '螺蛳粉', '桂林米粉', '芒果干', '坭兴陶茶具', '壮锦围巾', '沃柑', '百香果', '罗汉果', '荔浦芋头'];

const name = (n) => `${SURNAMES[n % SURNAMES.length]}${GIVEN[(n >>> 3) % GIVEN.length]}${GIVEN[(n >>> 7) % GIVEN.length]}`;
const shipperPhone = (n) => `139${String(n).padStart(8, '0')}`;
const buyerPhone = (n) => `137${String(n).padStart(8, '0')}`;

/** One shipment carrying only item 6's listed data items (发货人姓名、地址、时间、联系方式、货品名称、数量、订单号). */
const shipment = (n, order, day, rand) => ({
  orderNo: order,
  shipperName: name(n),
  shipperPhone: shipperPhone(n),
  shippingAddress: `广西${CITIES[n % CITIES.length]}${1 + (n % 300)}号`,
  shippingTime: `${day}T${String(9 + Math.floor(rand() * 12)).padStart(2, '0')}:${String(Math.floor(rand() * 60)).padStart(2, '0')}:00+08:00`,
  goodsName: GOODS[Math.floor(rand() * GOODS.length)],
  quantity: 1 + Math.floor(rand() * 5),
});

/** Split `total` over `weights` in whole numbers (largest remainders), summing exactly to `total`. */
function apportion(total, weights) {
  const sum = weights.reduce((s, w) => s + w, 0);
  const exact = weights.map((w) => (w / sum) * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((s, v) => s + v, 0);
  const order = exact.map((v, i) => [v - Math.floor(v), i]).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k][1]]++;
  return out;
}

/** A live-commerce year: growing, busier at weekends, with the 618 and Double 11 peaks. */
function dayWeight(day, index, count, rand) {
  const d = new Date(`${day}T00:00:00Z`);
  const md = day.slice(5);
  let w = 0.45 + 0.55 * (index / Math.max(1, count - 1));
  if (d.getUTCDay() === 0 || d.getUTCDay() === 6) w *= 1.3;
  if (md >= '06-14' && md <= '06-18') w *= 2.4;
  if (md >= '11-08' && md <= '11-11') w *= 3.2;
  if (md >= '12-10' && md <= '12-12') w *= 1.8;
  return w * (0.85 + 0.3 * rand());
}

async function trafficRole([dataUrl, playSecondsArg, startMsArg]) {
  const url = new URL(dataUrl);
  if (url.hostname !== '127.0.0.1') throw new Error(`traffic only to 127.0.0.1, not ${url.hostname}`);
  const endpoint = `${dataUrl}/sg-logistics/v1/shipments`;
  const playMs = Number(playSecondsArg) * 1000;
  const startMs = Number(startMsArg);
  const rand = prng(2025);
  process.once('disconnect', () => process.exit(0));
  process.once('SIGTERM', () => process.exit(0));

  let seq = 0;
  const acks = new Map();
  process.on('message', (m) => {
    if (m?.type === 'ack') acks.get(m.seq)?.();
  });
  /** Send `message` to the demo and wait (at most `ms`) for its ack. */
  const ask = (message, ms) =>
    new Promise((resolve, reject) => {
      const s = ++seq;
      const timer = setTimeout(() => reject(new Error(`no answer to ${message.type} within ${ms / 1000} s`)), ms);
      acks.set(s, () => {
        clearTimeout(timer);
        acks.delete(s);
        resolve();
      });
      process.send({ ...message, seq: s });
    });
  /** Set the gateway's demo clock (ms) or switch it to real time; resolves once the gateway has. */
  const setClock = (ms) => ask(ms === 'real' ? { type: 'clock', real: true } : { type: 'clock', ms }, 10_000);

  const tally = { transfers: 0, allow: 0, flag: 0, block: 0 };
  const limited = new Set();
  const general = new Set();
  let nextShipper = 0;
  /** Shippers 0 … admitted-1 are all counted (fresh shippers are numbered in order, refused ones after). */
  let admitted = 0;
  let nextBuyer = 0;

  /**
   * POST one batch (never retried); the tallies follow the gateway's answer. Anything but 2xx or
   * 451 stops the play; in the live phase (an emergency stop, say) it is only counted.
   */
  let live = false;
  let errors = 0;
  const send = async (id, records) => {
    const res = await fetch(`${endpoint}?batch=${encodeURIComponent(id)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ batch: id, shipments: records }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const decision = res.headers.get('x-xborder-decision') ?? 'error';
    tally.transfers++;
    if (decision in tally) tally[decision]++;
    if (res.status !== 451 && (res.status < 200 || res.status > 299)) {
      if (!live) throw new Error(`batch ${id}: ${res.status} ${text.slice(0, 300)}`);
      if (errors++ === 0) process.send({ type: 'note', text: `batch ${id} answered ${res.status} (${decision}); live traffic goes on, counting such answers` });
    }
    return { status: res.status, decision, body: res.status === 451 ? JSON.parse(text) : undefined };
  };

  /** A shipper-only batch: `fresh` new shippers and `repeats` earlier ones (limited counter). */
  const shipperRecords = (id, day, fresh, repeats) => {
    const persons = [];
    for (let i = 0; i < fresh; i++) persons.push(nextShipper++);
    for (let i = 0; i < repeats && admitted > 0; i++) persons.push(Math.floor(rand() * admitted));
    return persons.map((n, i) => ({ n, record: shipment(n, `${id}-${i}`, day, rand) }));
  };
  /** A batch with buyers: each record a known shipper and a buyer (general counter, both). */
  const buyerRecords = (id, day, fresh, repeats) => {
    const out = [];
    const buyers = [];
    for (let i = 0; i < fresh; i++) buyers.push(nextBuyer++);
    for (let i = 0; i < repeats && nextBuyer - fresh > 0; i++) buyers.push(Math.floor(rand() * (nextBuyer - fresh)));
    for (const [i, b] of buyers.entries()) {
      const s = Math.floor(rand() * Math.max(1, admitted));
      out.push({ s, b, record: { ...shipment(s, `${id}-${i}`, day, rand), buyerName: name(b + 7), buyerPhone: buyerPhone(b) } });
    }
    return out;
  };
  const sendShippers = async (id, day, fresh, repeats) => {
    const batch = shipperRecords(id, day, fresh, repeats);
    const answer = await send(id, batch.map((r) => r.record));
    if (answer.status >= 200 && answer.status <= 299) {
      for (const r of batch) limited.add(r.n);
      admitted = nextShipper;
    }
    return answer;
  };
  const sendBuyers = async (id, day, fresh, repeats) => {
    const batch = buyerRecords(id, day, fresh, repeats);
    const answer = await send(id, batch.map((r) => r.record));
    if (answer.status >= 200 && answer.status <= 299) for (const r of batch) general.add(`s${r.s}`).add(`b${r.b}`);
    return answer;
  };
  const progress = (day) => process.send({ type: 'progress', day, limited: limited.size, general: general.size, ...tally });

  // 1. 1 January → yesterday, one simulated day at a time, paced over the play time.
  const today = chinaDay(startMs);
  const days = [];
  for (let i = 0; i < 366; i++) {
    const day = new Date(Date.UTC(Number(today.slice(0, 4)), 0, 1 + i)).toISOString().slice(0, 10);
    if (day >= today) break;
    days.push(day);
  }
  // On 1 January there is no earlier day this year: the year so far is played today, in real time.
  const simulated = days.length > 0;
  if (!simulated) {
    days.push(today);
    await setClock('real');
  }
  const weights = days.map((d, i) => dayWeight(d, i, days.length, rand));
  const shippersPerDay = apportion(LIMITED_BY_YESTERDAY, weights);
  const buyersPerDay = apportion(BUYERS_BY_YESTERDAY, weights.map((w) => w * w));
  const t0 = performance.now();
  let lastMonth = '';
  for (const [i, day] of days.entries()) {
    if (performance.now() - t0 > PLAY_LIMIT_MS) throw new Error(`the year took longer than ${PLAY_LIMIT_MS / 1000} s to play; stopping`);
    // Pace: day i starts no earlier than i/N of the play time (never waits when behind).
    const due = (i / days.length) * playMs - (performance.now() - t0);
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    // Batches through the working day (China time), as an order system pushes them.
    let fresh = shippersPerDay[i];
    for (let b = 0; fresh > 0 && b < 8; b++) {
      if (simulated) await setClock(atChinaHour(day, 9 + b + rand() * 0.9));
      const n = b === 7 ? fresh : Math.min(fresh, Math.round(BATCH_RECORDS / 1.15));
      await sendShippers(`${day}-s${b}`, day, n, Math.round(n * 0.15));
      fresh -= n;
    }
    if (simulated) await setClock(atChinaHour(day, 17 + rand() * 3));
    const buyers = buyersPerDay[i];
    if (buyers > 0) await sendBuyers(`${day}-b`, day, buyers, Math.round(buyers * 0.1));
    if (day.slice(0, 7) !== lastMonth || i === days.length - 1) {
      lastMonth = day.slice(0, 7);
      progress(day);
    }
  }
  await ask({ type: 'played', days: days.length, ms: performance.now() - t0 }, 15_000);

  // 2. Today, in real time: a buyer batch, then the shipper batch that would cross 100,000.
  await setClock('real');
  live = true;
  await sendBuyers(`${today}-b0`, today, 40, 5);
  const answer = await sendShippers(`${today}-s0`, today, 80, 20);
  if (answer.status === 451) {
    const rule = answer.body.rules?.find((r) => r.item === 6) ?? answer.body.rules?.[0];
    process.send({ type: 'refused', batch: `${today}-s0`, summary: rule?.summary ?? answer.body.title ?? 'refused' });
  } else process.send({ type: 'note', text: `today's first shipper batch answered ${answer.status} (${answer.decision}), not 451: is a filing covering item 6 configured?` });
  progress(today);

  // 3. Live: a small batch every 4 s, bounded in count (and stopped with the demo).
  for (let k = 0; k < LIVE_BATCHES; k++) {
    await new Promise((r) => setTimeout(r, LIVE_EVERY_MS));
    const id = `${today}-live${k}`;
    if (k % 3 === 0) await sendBuyers(id, today, 5 + Math.floor(rand() * 20), 3);
    else if (k % 3 === 1) await sendShippers(id, today, 0, 10 + Math.floor(rand() * 30)); // repeat shippers: flagged near item 6
    else await sendShippers(id, today, 60 + Math.floor(rand() * 60), 5); // ≥ 60 new shippers past 99,950: refused
    if (k % 15 === 14) progress(`${today} live`);
  }
  process.send({ type: 'note', text: `live traffic stopped after ${LIVE_BATCHES} batches` });
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Last, so every declaration above is initialized: which process this is.
const role = process.argv[2];
if (role === '--role-gateway') await gatewayRole(process.argv.slice(3));
else if (role === '--role-traffic') await trafficRole(process.argv.slice(3));
else process.exit(await main(process.argv.slice(2)));
