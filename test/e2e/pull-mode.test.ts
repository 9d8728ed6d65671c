/**
 * Pull mode end to end (issue 12): overseas callers query a domestic API through a pull route; the
 * gateway inspects, counts and decides each *response* before a byte of it leaves. Real gateway
 * (in-process for the decisions, its own process for the memory bound), real domestic upstream on
 * 127.0.0.1, the shipped packs (Guangxi 2025 live-commerce, item 6: 100,000 persons need a filing).
 *
 * 1. Pages of shippers pulled until the limited counter would reach 100,000 with no filing: that
 *    page is answered 451, none of its bytes reach the caller, the counter equals the distinct
 *    shippers actually delivered (ground truth) plus the preload; evidence, the decision line and
 *    /api/transfers say `pull` and name the caller as recipient. Callers that match nothing: 401/403.
 * 2. The same persons sent once by push and once by pull are counted once on every counter.
 * 3. A large CSV download is spooled and inspected in batches within a memory bound (child
 *    process, peak RSS from /proc), and sent whole; the spool file is gone afterwards. The 200 MB
 *    run is bench/pull-download.mjs (bench/RESULTS.md); here 48 MiB keeps the suite fast (~13 s).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chinaYear, type Clock } from '../../agent/clock.js';
import { openEmbeddedStore } from '../../agent/count/store/embedded.js';
import type { Gateway } from '../../agent/gateway.js';
import { loadIdentityKey } from '../../agent/identify/key.js';
import { readRecords } from '../../agent/record/read.js';
import { counters, decisionLines, deliveryRoute, postJson, REPO, testEnv, type TestEnv } from '../helpers/gateway.js';
import { PACKS, startGatewayProcess, type RunningGateway } from '../helpers/load.js';
import { batchBody, shipperPhone, type ShipmentBatch } from '../helpers/shipments.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';
const HQ = { name: 'Example Holdings (Singapore) Pte. Ltd.', country: 'SG', key: 'hq-key-0123456789abcdef' };
/** 2026-06-15 10:00 China time. */
const clock: Clock = { now: () => new Date('2026-06-15T02:00:00Z') };
const YEAR = chinaYear(clock.now());
const PAGE = 20;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A pull route in front of the domestic API at `upstream`, same domain and scenario as the push routes. */
const pullRoute = (id: string, upstream: string, more: Record<string, unknown> = {}) => {
  const { recipient: _none, ...route } = deliveryRoute(id, upstream);
  return {
    ...route,
    direction: 'pull',
    callers: [
      { name: HQ.name, country: HQ.country, apiKeySha256: sha256(HQ.key) },
      { name: 'Regional BI (US)', country: 'US', networks: ['10.20.0.0/16'] },
    ],
    ...more,
  };
};

/** Page n of the domestic customer API: shippers n*PAGE+1 … (n+1)*PAGE (and a buyer each, when asked). */
const pageOf = (n: number, buyers = false): ShipmentBatch => {
  const shippers = Array.from({ length: PAGE }, (_, i) => n * PAGE + i + 1);
  return { id: `page-${n}`, shippers, ...(buyers ? { buyers: shippers } : {}) };
};

interface Domestic {
  readonly url: string;
  /** Requests the domestic API answered: method, URL, the headers it saw. */
  readonly served: { method: string; url: string; headers: Record<string, unknown> }[];
  close(): Promise<void>;
}

/** The domestic API: `GET /customers?page=n[&buyers=1]` → that page as JSON; `POST /customers/search` → page 0. */
async function startDomestic(): Promise<Domestic> {
  const served: Domestic['served'] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      served.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const url = new URL(req.url ?? '/', 'http://domestic');
      if (url.pathname === '/customers' || url.pathname === '/customers/search') {
        const page = pageOf(Number(url.searchParams.get('page') ?? 0), url.searchParams.get('buyers') === '1');
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-domestic': 'crm' });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify(batchBody(page)));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, served, close: () => new Promise((r) => server.close(() => r())) };
}

/** Put `n` persons on the limited counter this year, under the gateway's identity key, before it starts. */
async function preload(env: TestEnv, n: number): Promise<void> {
  const identity = loadIdentityKey({ file: join(env.dir, 'hmac.key'), generatedFile: join(env.dir, 'unused.key') });
  const store = openEmbeddedStore(join(env.dir, 'data', 'store'));
  try {
    const members = Array.from({ length: n }, (_, i) => createHash('sha256').update(`preloaded person ${i}`).digest().subarray(0, 16));
    expect((await store.checkAndAdd(YEAR, identity.fingerprint, [{ counter: LIMITED, members, blocked: [] }], { expectCounted: false, unions: [] })).admitted).toBe(true);
  } finally {
    await store.close();
  }
}

/** GET through the gateway as a caller; the whole body as text. */
async function pull(url: string, headers: Record<string, string> = { 'x-api-key': HQ.key }, method = 'GET'): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { method, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

let env: TestEnv | undefined;
let domestic: Domestic | undefined;
let gw: Gateway | undefined;
afterEach(async () => {
  await gw?.close();
  await domestic?.close();
  env?.cleanup();
  gw = env = domestic = undefined;
});

describe('pull mode: an overseas caller pulling pages of customers', () => {
  it('is counted page by page; the page that reaches 100,000 uncovered gets 451 and none of its bytes; counters equal ground truth', async () => {
    env = testEnv();
    const PRELOAD = 99_950;
    await preload(env, PRELOAD);
    domestic = await startDomestic();
    gw = await env.start({ store: { kind: 'embedded', path: join(env.dir, 'data', 'store') }, routes: [pullRoute('hq', domestic.url)] }, clock);

    // Callers that match nothing are refused before anything reaches the domestic API.
    const anonymous = await pull(`${gw.dataUrl}/hq/customers?page=0`, {});
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text)).toMatchObject({ code: 'XB_PULL_CALLER_UNKNOWN', transferId: null });
    const wrongKey = await pull(`${gw.dataUrl}/hq/customers?page=0`, { 'x-api-key': 'not-a-key' });
    expect(wrongKey.status).toBe(403);
    expect(wrongKey.text).not.toContain('not-a-key');
    expect(JSON.parse(wrongKey.text)).toMatchObject({ code: 'XB_PULL_CALLER_FORBIDDEN', transferId: null });
    const put = await fetch(`${gw.dataUrl}/hq/customers`, { method: 'PUT', headers: { 'x-api-key': HQ.key, 'content-type': 'application/json' }, body: '{}' });
    expect(put.status).toBe(404);
    expect(domestic.served).toHaveLength(0);

    // Pull pages until one is refused (bounded: at most 10 pages).
    const delivered = new Set<string>();
    let refused: { page: number; status: number; headers: Headers; text: string } | undefined;
    for (let page = 0; page < 10 && !refused; page++) {
      const res = await pull(`${gw.dataUrl}/hq/customers?page=${page}`);
      if (res.status !== 200) {
        refused = { page, ...res };
        break;
      }
      expect(res.headers.get('x-xborder-decision')).not.toBe('block');
      const body = JSON.parse(res.text) as ReturnType<typeof batchBody>;
      expect(body.shipments).toHaveLength(PAGE);
      for (const s of body.shipments) delivered.add(String(s['shipperPhone']));
    }
    // 99,950 + 2 pages of 20 = 99,990; the third page would make 100,010.
    expect(refused?.page).toBe(2);
    expect(refused?.status).toBe(451);
    expect(refused?.headers.get('x-xborder-decision')).toBe('block');
    const problem = JSON.parse(refused?.text ?? '{}');
    expect(problem).toMatchObject({ code: 'XB_DECISION_BLOCKED', decision: 'block', reason: 'threshold-uncovered' });
    expect(problem.rules[0]).toMatchObject({ item: 6, counter: LIMITED, before: 99_990, added: PAGE });
    // The domestic API did answer page 2; the caller got none of it.
    expect(domestic.served.filter((s) => s.url === '/customers?page=2')).toHaveLength(1);
    for (const n of pageOf(2).shippers) expect(refused?.text).not.toContain(shipperPhone(n));
    expect(refused?.text).not.toContain('发货人');

    // Re-pulling a page already delivered adds nobody.
    const again = await pull(`${gw.dataUrl}/hq/customers?page=1`);
    expect(again.status).toBe(200);
    expect((await counters(gw))[LIMITED]).toBe(PRELOAD + delivered.size);
    expect(delivered.size).toBe(2 * PAGE);

    // The caller's key stays with xborder; the domestic API sees the transfer id.
    expect(domestic.served.every((s) => s.headers['x-api-key'] === undefined && typeof s.headers['x-xborder-transfer-id'] === 'string')).toBe(true);

    // Decision lines, evidence and /api/transfers: direction pull, the caller as recipient.
    const lines = decisionLines(env.logLines);
    // Near the threshold (past alert level 0.9) the allowed pages are flagged.
    expect(lines.map((l) => [l['direction'], l['decision']])).toEqual([['pull', 'flag'], ['pull', 'flag'], ['pull', 'block'], ['pull', 'flag']]);
    const records = [...readRecords(join(env.dir, 'data', 'evidence'))].map((r) => r.record).filter((r) => r.kind === 'TRANSFER');
    expect(records).toHaveLength(4);
    for (const r of records) expect(r.transfer).toMatchObject({ direction: 'pull', recipient: HQ.name, recipientCountry: 'SG', route: 'hq' });
    expect(records.map((r) => r.transfer?.admitted)).toEqual([true, true, false, true]);
    const outcomes = [...readRecords(join(env.dir, 'data', 'evidence'))].map((r) => r.record).filter((r) => r.kind === 'OUTCOME');
    expect(outcomes).toHaveLength(3);
    const recent = await fetch(`${gw.adminUrl}/api/transfers`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
    const listed = ((await recent.json()) as { transfers: { direction: string; recipient: { name: string } }[] }).transfers;
    expect(listed).toHaveLength(4);
    for (const t of listed) expect(t).toMatchObject({ direction: 'pull', recipient: { name: HQ.name } });
  });

  it('recognises a caller by source network, and passes HEAD and POST query requests', async () => {
    env = testEnv();
    domestic = await startDomestic();
    const local = { name: 'Local BI', country: 'HK', networks: ['127.0.0.0/8', '::1/128'] };
    gw = await env.start({ store: { kind: 'embedded', path: join(env.dir, 'data', 'store') }, routes: [pullRoute('bi', domestic.url, { callers: [local] })] }, clock);
    const res = await pull(`${gw.dataUrl}/bi/customers?page=0`, {});
    expect(res.status).toBe(200);
    expect(res.headers.get('x-domestic')).toBe('crm');
    const head = await pull(`${gw.dataUrl}/bi/customers?page=0`, {}, 'HEAD');
    expect(head.status).toBe(200);
    const search = await fetch(`${gw.dataUrl}/bi/customers/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"q":"all"}' });
    expect(search.status).toBe(200);
    expect(((await search.json()) as { shipments: unknown[] }).shipments).toHaveLength(PAGE);
    expect((await counters(gw))[LIMITED]).toBe(PAGE);
    const lines = decisionLines(env.logLines);
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l['direction'] === 'pull')).toBe(true);
  });
});

describe('pull and push together', () => {
  it('counts the same persons once per counter, whichever way they left', async () => {
    env = testEnv();
    domestic = await startDomestic();
    gw = await env.start({ store: { kind: 'embedded', path: join(env.dir, 'data', 'store') }, routes: [deliveryRoute('sg', domestic.url), pullRoute('hq', domestic.url)] }, clock);
    // Page 0 with buyers goes on the general counter (a buyer's PI is outside item 6), page 1 on the limited one.
    for (const page of [pageOf(0, true), pageOf(1)]) {
      const pushed = await postJson(`${gw.dataUrl}/sg/orders`, batchBody(page));
      expect(pushed.status).toBe(404); // the domestic test API has no /orders: forwarded all the same
    }
    const afterPush = await counters(gw);
    expect(Object.fromEntries(Object.entries(afterPush).filter(([, v]) => v > 0))).toEqual({ [GENERAL]: 2 * PAGE, [LIMITED]: PAGE });

    for (const query of ['page=0&buyers=1', 'page=1']) expect((await pull(`${gw.dataUrl}/hq/customers?${query}`)).status).toBe(200);
    expect(await counters(gw)).toEqual(afterPush);
    const lines = decisionLines(env.logLines);
    expect(lines.map((l) => [l['route'], l['direction'], l['persons']])).toEqual([
      ['sg', 'push', 2 * PAGE],
      ['sg', 'push', PAGE],
      ['hq', 'pull', 2 * PAGE],
      ['hq', 'pull', PAGE],
    ]);
    // A push route takes no GET.
    const get = await pull(`${gw.dataUrl}/sg/orders`);
    expect(get.status).toBe(404);
    expect(JSON.parse(get.text)).toMatchObject({ code: 'XB_ROUTE_NOT_FOUND' });
  });
});

/** The download (MiB): spooled (limits.memoryBytes 8 MiB) six times over; the 200 MB run is bench/pull-download.mjs. */
const DOWNLOAD_MB = 48;
/** Distinct shippers in the download: rows repeat them. */
const DOWNLOAD_PERSONS = 20_000;
/**
 * The gateway's peak RSS: Node's own (~135 MiB here) + limits.memoryBytes + one parse batch + the
 * distinct persons' keys + the V8 heap's slack, with room (measured: ~280 MiB). Parsing the
 * download in memory (430,000 records at once) would take several times this.
 */
const RSS_BOUND_MB = 350;

/** A domestic export API: `GET /export.csv` streams DOWNLOAD bytes of shipments, generated as it goes; hashes what it sent. */
async function startExport(): Promise<{ url: string; sent: { bytes: number; hash: ReturnType<typeof createHash> }; close(): Promise<void> }> {
  const sent = { bytes: 0, hash: createHash('sha256') };
  const server = createServer((req, res) => {
    const DOWNLOAD = Number(/mb=(\d+)/.exec(req.url ?? '')?.[1] ?? 1) * 1024 * 1024;
    sent.bytes = 0;
    sent.hash = createHash('sha256');
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="shipments.csv"' });
    let row = 0;
    const write = (chunk: Buffer): boolean => {
      sent.bytes += chunk.length;
      sent.hash.update(chunk);
      return res.write(chunk);
    };
    write(Buffer.from('orderNo,shipperName,shipperPhone,shippingAddress,shippingTime,goodsName,quantity\r\n'));
    const more = (): void => {
      // Bounded by DOWNLOAD: each round writes up to 1,000 rows, then waits for the socket to drain.
      while (sent.bytes < DOWNLOAD) {
        const lines: string[] = [];
        for (let i = 0; i < 1000; i++, row++) {
          const n = row % DOWNLOAD_PERSONS;
          lines.push(`O-${row},发货人${n},${shipperPhone(n)},广西南宁市青秀区民族大道${n % 1000}号,2026-05-01T10:00:00+08:00,六堡茶,${1 + (n % 5)}\r\n`);
        }
        if (!write(Buffer.from(lines.join('')))) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent, close: () => new Promise((r) => server.close(() => r())) };
}

const procStatus = (pid: number, field: 'VmRSS' | 'VmHWM'): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

describe('a large CSV download through a pull route', () => {
  let dir: string;
  let running: RunningGateway | undefined;
  let exporter: Awaited<ReturnType<typeof startExport>> | undefined;
  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist', 'agent', 'pull', 'index.js'))) throw new Error('dist/ is missing pull mode: run `npm run build` (npm test does it first)');
    dir = mkdtempSync(join(tmpdir(), 'xb-pull-'));
    exporter = await startExport();
  });
  afterAll(async () => {
    await running?.stop();
    await exporter?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is spooled and inspected in batches within the memory bound, sent whole, and its spool file removed', async () => {
    const { recordRoot: _json, ...route } = pullRoute('dl', exporter!.url, { callers: [{ name: HQ.name, country: HQ.country, apiKeySha256: sha256(HQ.key) }] });
    running = await startGatewayProcess(dir, {
      company: { name: 'Pull Download Co.', regime: 'guangxi' },
      gatewayId: 'pull-dl',
      dataDir: join(dir, 'data'),
      listen: { data: { port: 0 }, admin: { port: 0 } },
      policy: { dir: PACKS },
      evidence: { fsync: 'interval' },
      routes: [route],
    });
    const pid = running.proc.child.pid as number;
    const before = procStatus(pid, 'VmRSS');
    const peaks: number[] = [];
    for (const mb of [DOWNLOAD_MB]) {
      const res = await fetch(`${running.dataUrl}/dl/export.csv?mb=${mb}`, { headers: { 'x-api-key': HQ.key } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-xborder-decision')).toBe('allow');
      expect(res.headers.get('content-disposition')).toContain('shipments.csv');
      const got = createHash('sha256');
      let bytes = 0;
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        got.update(chunk);
      }
      expect(bytes).toBe(exporter!.sent.bytes);
      expect(bytes).toBeGreaterThan((mb - 1) * 2 ** 20);
      expect(got.digest('hex')).toBe(exporter!.sent.hash.digest('hex'));
      const line = await running.proc.waitFor(() => {
        const found = running?.proc.output().split('\n').filter((l) => l.includes('"xborder.decision"')).map((l) => JSON.parse(l) as { direction: string; persons: number; records: number; bytes: number });
        return found && found.length === peaks.length + 1 ? found[peaks.length] : undefined;
      }, 10_000);
      expect(line).toMatchObject({ direction: 'pull', persons: DOWNLOAD_PERSONS, bytes });
      peaks.push(procStatus(pid, 'VmHWM'));
      console.log(`pull of ${mb} MiB (${line.records} records): gateway RSS ${Math.round(before)} MiB before, peak ${Math.round(peaks.at(-1) ?? 0)} MiB (bound ${RSS_BOUND_MB})`);
    }
    expect(peaks[0]).toBeLessThan(RSS_BOUND_MB);
    await running.proc.waitFor(() => (readdirSync(join(dir, 'data', 'spool', 'pull-dl')).length === 0 ? true : undefined), 5_000);
  }, 120_000);
});
