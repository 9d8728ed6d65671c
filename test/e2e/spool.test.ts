/**
 * 200 MB of CSV through a real gateway process (bin/xborder.js, the compiled build): the body is
 * spooled to disk and inspected in a streaming pass, decided (201, forwarded), and the upstream
 * receives all of it with the same SHA-256; the process's peak RSS (VmHWM) stays under
 * RSS_BOUND_MB, and the spool file is gone afterwards.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { REPO } from '../helpers/gateway.js';
import { startProcess } from '../helpers/process.js';

const TOTAL = 200 * 1024 * 1024;
/** The stated bound: limits.memoryBytes (8 MiB) + one batch + the distinct persons + Node's own, with room. */
const RSS_BOUND_MB = 400;
const PERSONS = 50_000;

/** Synthetic shipments, persons repeating every PERSONS rows, whole rows up to TOTAL bytes; hashes and counts what it yields. */
function csvBody(hash: ReturnType<typeof createHash>, count: { bytes: number }): Readable {
  let sent = 0;
  let row = 0;
  return Readable.from(
    (function* () {
      const header = Buffer.from('orderNo,shipperName,shipperPhone,shippingAddress,shippingTime,goodsName,quantity\r\n');
      hash.update(header);
      sent += header.length;
      count.bytes = sent;
      yield header;
      while (sent < TOTAL) {
        const lines: string[] = [];
        for (let i = 0; i < 2000; i++, row++) {
          const n = row % PERSONS;
          lines.push(`O-${row},发货人${n},139${String(n).padStart(8, '0')},广西南宁市青秀区民族大道${n % 1000}号,2026-05-01T10:00:00+08:00,六堡茶,${1 + (n % 5)}\r\n`);
        }
        let chunk = Buffer.from(lines.join(''));
        if (sent + chunk.length > TOTAL) chunk = chunk.subarray(0, chunk.lastIndexOf(0x0a, TOTAL - sent - 1) + 1);
        if (chunk.length === 0) break;
        hash.update(chunk);
        sent += chunk.length;
        count.bytes = sent;
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
}

describe('a 200 MB CSV body', () => {
  let dir: string;
  let server: Server;
  let upstream: string;
  const received = { bytes: 0, hash: createHash('sha256'), done: false };

  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist', 'agent', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
    dir = mkdtempSync(join(tmpdir(), 'xb-spool-'));
    server = createServer((req, res) => {
      req.on('data', (c: Buffer) => {
        received.bytes += c.length;
        received.hash.update(c);
      });
      req.on('end', () => {
        received.done = true;
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"accepted":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is spooled, inspected in a streaming pass, forwarded whole, within the memory bound', async () => {
    const config = join(dir, 'xborder.yaml');
    writeFileSync(
      config,
      stringify({
        company: { name: 'Spool Test Co.', regime: 'guangxi' },
        gatewayId: 'spool',
        dataDir: join(dir, 'data'),
        listen: { data: { port: 0 }, admin: { port: 0 } },
        policy: { dir: join(REPO, 'policy', 'packs') },
        evidence: { fsync: 'interval' },
        routes: [{ id: 'r', upstream, recipient: { name: 'X Ltd', country: 'SG' }, domain: 'guangxi-2025/live-commerce', scenario: 'cross-border-delivery' }],
      }),
    );
    const gw = startProcess(config, dir, { ...process.env, XB_HMAC_KEY: '', XB_ADMIN_TOKEN: '' });
    try {
      const started = await gw.line('"xborder.started"');
      const { dataUrl } = JSON.parse(started) as { dataUrl: string };

      const sent = createHash('sha256');
      const count = { bytes: 0 };
      const res = await fetch(`${dataUrl}/r/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv; charset=utf-8' },
        body: Readable.toWeb(csvBody(sent, count)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      const answer = await res.text();
      expect(res.status, answer).toBe(201);
      expect(res.headers.get('x-xborder-decision')).toBe('allow');
      expect(received.done).toBe(true);
      expect(count.bytes).toBeGreaterThan(TOTAL - 1024);
      expect(received.bytes).toBe(count.bytes);
      expect(received.hash.digest('hex')).toBe(sent.digest('hex'));

      // The child's log reaches this process through a pipe, possibly after the response did.
      const decided = await gw.line('"xborder.decision"', 10_000);
      const line = JSON.parse(decided) as { records: number; persons: number; bytes: number };
      expect(line.bytes).toBe(count.bytes);
      expect(line.persons).toBe(PERSONS);
      expect(line.records).toBeGreaterThan(1_500_000);

      const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${gw.child.pid}/status`, 'utf8'))?.[1]);
      console.log(`gateway peak RSS ${Math.round(hwm / 1024)} MB for ${line.records} records (bound ${RSS_BOUND_MB} MB)`);
      expect(hwm / 1024).toBeLessThan(RSS_BOUND_MB);
      await gw.waitFor(() => (readdirSync(join(dir, 'data', 'spool', 'spool')).length === 0 ? true : undefined), 5000);
    } finally {
      gw.child.kill('SIGTERM');
      await gw.exited;
    }
  }, 180_000);
});
