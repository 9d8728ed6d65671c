/**
 * The data plane's listener through a real gateway: connection limit, slow clients cut with 408,
 * idle keep-alive connections closed, graceful drain on close (an in-flight transfer completes
 * with its TRANSFER and OUTCOME records while new connections are refused), a bounded drain, and
 * responses streamed through unbuffered and unmodified.
 */
import { gzipSync } from 'node:zlib';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../agent/gateway.js';
import { readRecords } from '../../agent/record/read.js';
import { deliveryRoute, testEnv, type TestEnv } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';
import { waitUntil } from '../helpers/redis.js';

const BODY = JSON.stringify({ shipments: [{ orderNo: 'O-1', goodsName: 'tea', quantity: 1 }] });
const dataPort = (gw: Gateway) => Number(new URL(gw.dataUrl).port);

/** An upstream whose handler the test supplies per request. */
async function scriptedUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; requests: number }> {
  const state = { url: '', server: createServer(), requests: 0 };
  state.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    state.requests++;
    handler(req, res);
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

const closeServer = (s: Server | undefined) =>
  new Promise<void>((r) => {
    if (!s) return r();
    s.closeAllConnections();
    s.close(() => r());
  });

/** Open a raw connection; resolves when connected, with what the gateway sent and whether it closed. */
function openRaw(port: number): Promise<{ socket: Socket; data: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (data += c));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, data: () => data, closed }));
    socket.once('error', reject);
  });
}

/** Resolves `true` if the promise settles within `ms`, else `false` (a bound, not a timing assertion). */
const within = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

function postRaw(url: string): Promise<{ status: number; body: Buffer; headers: IncomingMessage['headers']; transferId: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(BODY)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers, transferId: String(res.headers['x-xborder-transfer-id']) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

describe('listener limits', () => {
  let env: TestEnv;
  let gw: Gateway;
  let up: Upstream;

  beforeAll(async () => {
    env = testEnv();
    up = await startUpstream();
    gw = await env.start({
      listen: {
        data: { host: '127.0.0.1', port: 0, maxConnections: 2, headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 300 },
        admin: { host: '127.0.0.1', port: 0 },
      },
      routes: [deliveryRoute('r', up.url)],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
    env?.cleanup();
  });

  it('closes a connection past maxConnections unanswered, and serves again once one ends', async () => {
    const a = await openRaw(dataPort(gw));
    const b = await openRaw(dataPort(gw));
    a.socket.write('POST /r/x HTTP/1.1\r\nHost: gw\r\n');
    b.socket.write('POST /r/x HTTP/1.1\r\nHost: gw\r\n');
    const c = await openRaw(dataPort(gw));
    c.socket.write(`POST /r/x HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`);
    expect(await within(c.closed, 5_000)).toBe(true);
    expect(c.data()).toBe('');
    a.socket.destroy();
    b.socket.destroy();
    await waitUntil('a connection slot', async () => (await postRaw(`${gw.dataUrl}/r/x`)).status === 201, 5_000);
  });

  it('cuts a slowloris client that never finishes its headers with 408 XB_REQUEST_TIMEOUT', async () => {
    const before = up.received.length;
    const s = await openRaw(dataPort(gw));
    s.socket.write('POST /r/x HTTP/1.1\r\nHost: gw\r\n');
    // One header line every 100 ms, for at most 10 s: each resets no timer.
    let drips = 0;
    const drip = setInterval(() => {
      if (drips++ > 100 || s.socket.destroyed) return clearInterval(drip);
      s.socket.write(`X-Drip-${drips}: a\r\n`);
    }, 100);
    const cut = await within(s.closed, 10_000);
    clearInterval(drip);
    expect(cut).toBe(true);
    const [head = '', body = ''] = s.data().split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(JSON.parse(body)).toMatchObject({ status: 408, code: 'XB_REQUEST_TIMEOUT', transferId: null });
    expect(up.received.length).toBe(before);
  });

  it('cuts a client that sends its body too slowly (requestTimeoutMs), forwarding nothing', async () => {
    const before = up.received.length;
    const s = await openRaw(dataPort(gw));
    s.socket.write(`POST /r/x HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n`);
    let sent = 0;
    const drip = setInterval(() => {
      if (sent >= BODY.length - 1 || s.socket.destroyed) return clearInterval(drip);
      s.socket.write(BODY[sent++] ?? '');
    }, 100);
    const cut = await within(s.closed, 10_000);
    clearInterval(drip);
    expect(cut).toBe(true);
    expect(s.data().split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(up.received.length).toBe(before);
  });

  it('closes an idle keep-alive connection after keepAliveTimeoutMs', async () => {
    const s = await openRaw(dataPort(gw));
    s.socket.write(`POST /r/x HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`);
    expect(await within(s.closed, 5_000)).toBe(true);
    expect(s.data().split('\r\n')[0]).toBe('HTTP/1.1 201 Created');
    expect(s.data().toLowerCase()).toContain('connection: keep-alive');
  });
});

describe('graceful shutdown', () => {
  let env: TestEnv | undefined;
  let up: Awaited<ReturnType<typeof scriptedUpstream>> | undefined;
  afterEach(async () => {
    await closeServer(up?.server);
    env?.cleanup();
  });

  it('lets an in-flight transfer finish with its evidence, refusing new connections meanwhile', async () => {
    env = testEnv();
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    up = await scriptedUpstream((req, res) => {
      req.resume();
      // Answers only when the test says so: the transfer is in flight while close() runs.
      void released.then(() => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end('{"slow":"but done"}');
      });
    });
    const gw = await env.start({ routes: [deliveryRoute('r', up.url)] });
    const port = dataPort(gw);
    const inFlight = postRaw(`${gw.dataUrl}/r/x`);
    await waitUntil('the upstream to hold the request', async () => up!.requests === 1, 5_000);

    const closing = gw.close();
    await waitUntil(
      'new connections to be refused',
      () => new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(false)));
        s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
      }),
      5_000,
    );
    release();
    const res = await inFlight;
    expect(res.status).toBe(201);
    expect(res.body.toString()).toBe('{"slow":"but done"}');
    expect(await within(closing, 10_000)).toBe(true);

    const records = [...readRecords(join(env.dir, 'data', 'evidence'))].map((r) => r.record);
    const transfer = records.find((r) => r.kind === 'TRANSFER' && r.transferId === res.transferId);
    const outcome = records.find((r) => r.kind === 'OUTCOME' && r.transferId === res.transferId);
    const stop = records.find((r) => r.kind === 'STOP');
    expect(transfer).toBeDefined();
    expect(outcome?.outcome).toMatchObject({ upstreamStatus: 201, errorCode: '' });
    expect(stop).toBeDefined();
    expect(outcome!.seq).toBeLessThan(stop!.seq);
  });

  it('drains the forward-proxy listener too: an absolute-form transfer in flight finishes with its OUTCOME before STOP', async () => {
    env = testEnv();
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    up = await scriptedUpstream((req, res) => {
      req.resume();
      void released.then(() => res.writeHead(201, { 'content-type': 'application/json' }).end('{"via":"proxy"}'));
    });
    const gw = await env.start({ routes: [deliveryRoute('r', up.url)], proxy: { listen: { host: '127.0.0.1', port: 0 }, passthrough: [], tunnelOnly: [] } });
    const proxy = new URL(gw.proxyUrl!);
    const inFlight = new Promise<{ status: number; body: string; transferId: string }>((resolve, reject) => {
      const req = request(
        { host: proxy.hostname, port: Number(proxy.port), method: 'POST', path: `${up!.url}/x`, headers: { host: new URL(up!.url).host, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(BODY)) } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, transferId: String(res.headers['x-xborder-transfer-id']) }));
        },
      );
      req.on('error', reject);
      req.end(BODY);
    });
    await waitUntil('the upstream to hold the request', async () => up!.requests === 1, 5_000);
    const closing = gw.close();
    release();
    const res = await inFlight;
    expect(res).toMatchObject({ status: 201, body: '{"via":"proxy"}' });
    expect(await within(closing, 10_000)).toBe(true);
    const records = [...readRecords(join(env.dir, 'data', 'evidence'))].map((r) => r.record);
    const outcome = records.find((r) => r.kind === 'OUTCOME' && r.transferId === res.transferId);
    const stop = records.find((r) => r.kind === 'STOP');
    expect(outcome?.outcome).toMatchObject({ upstreamStatus: 201 });
    expect(outcome!.seq).toBeLessThan(stop!.seq);
  });

  it('cuts what is still running after drainTimeoutMs, and close() returns', async () => {
    env = testEnv();
    up = await scriptedUpstream((req) => req.resume()); // never answers
    const gw = await env.start({
      listen: { data: { host: '127.0.0.1', port: 0, drainTimeoutMs: 200 }, admin: { host: '127.0.0.1', port: 0 } },
      routes: [deliveryRoute('r', up.url, { timeouts: { headersMs: 60_000 } })],
    });
    const inFlight = postRaw(`${gw.dataUrl}/r/x`).then(
      () => 'answered',
      () => 'cut',
    );
    await waitUntil('the upstream to hold the request', async () => up!.requests === 1, 5_000);
    expect(await within(gw.close(), 10_000)).toBe(true);
    expect(await inFlight).toBe('cut');
    const records = [...readRecords(join(env.dir, 'data', 'evidence'))].map((r) => r.record);
    expect(records.filter((r) => r.kind === 'TRANSFER')).toHaveLength(1);
    expect(records.at(-1)?.kind).toBe('STOP');
  });
});

describe('responses', () => {
  let env: TestEnv | undefined;
  let up: Awaited<ReturnType<typeof scriptedUpstream>> | undefined;
  afterEach(async () => {
    await closeServer(up?.server);
    env?.cleanup();
  });

  it('stream back unbuffered and unmodified: the client has the first chunk before the upstream sends the rest', async () => {
    env = testEnv();
    const payload = gzipSync(Buffer.from(JSON.stringify({ items: Array.from({ length: 2000 }, (_, i) => ({ i, note: `line ${i}` })) })));
    const first = payload.subarray(0, 1024);
    const rest = payload.subarray(1024);
    const events: string[] = [];
    let clientHasFirst: () => void = () => undefined;
    const gotFirst = new Promise<void>((r) => (clientHasFirst = r));
    up = await scriptedUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-upstream-etag': '"v1"' });
      res.write(first);
      // The rest only once the client has the first chunk (or after 10 s, which fails the test).
      void within(gotFirst, 10_000).then((ok) => {
        events.push(ok ? 'upstream-sent-rest' : 'upstream-gave-up-waiting');
        res.end(rest);
      });
    });
    const gw = await env.start({ routes: [deliveryRoute('r', up.url)] });
    try {
      const received = await new Promise<{ headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
        const req = request(`${gw.dataUrl}/r/x`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => {
            chunks.push(c);
            if (chunks.length === 1) {
              events.push('client-got-first');
              clientHasFirst();
            }
          });
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(BODY);
      });
      expect(events).toEqual(['client-got-first', 'upstream-sent-rest']);
      expect(received.body.equals(payload)).toBe(true);
      expect(received.headers['content-encoding']).toBe('gzip');
      expect(received.headers['x-upstream-etag']).toBe('"v1"');
      expect(received.headers['x-xborder-decision']).toBe('allow');
    } finally {
      await gw.close();
    }
  });
});
