/**
 * Header hygiene through a real gateway: hop-by-hop headers are dropped both ways; the headers
 * that carry internal addresses (x-forwarded-for, forwarded, x-real-ip, via, …) are stripped by
 * default and passed or appended to when a route says so; request-smuggling shapes sent over raw
 * sockets are answered 400 with a problem body and never reach the upstream; oversized headers 431.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../agent/gateway.js';
import { deliveryRoute, testEnv, type TestEnv } from '../helpers/gateway.js';

const BODY = JSON.stringify({ shipments: [{ orderNo: 'O-1', goodsName: 'tea', quantity: 1 }] });

/** An upstream that records request headers and answers with hop-by-hop headers of its own. */
async function hopUpstream(): Promise<{ url: string; seen: IncomingHttpHeaders[]; server: Server }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(req.headers);
      res.writeHead(201, {
        'content-type': 'application/json',
        connection: 'x-resp-hop',
        'x-resp-hop': 'secret',
        'proxy-authenticate': 'Basic realm="upstream"',
        'keep-alive': 'timeout=99',
        trailer: 'x-checksum',
        'x-resp-kept': 'yes',
      });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

/** POST through node:http (so hop-by-hop request headers can be set) and collect the answer. */
function post(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(BODY)), ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

/** Write raw bytes, read until the gateway closes the connection (bounded by a timer). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(bytes));
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close within 5 s; got ${JSON.stringify(out.slice(0, 200))}`));
    }, 5_000);
    s.setEncoding('utf8');
    s.on('data', (c: string) => (out += c));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.on('error', () => undefined);
  });
}

const FORWARDING = {
  'x-forwarded-for': '10.20.30.40',
  forwarded: 'for=10.20.30.40;by=10.0.0.1',
  'x-real-ip': '10.20.30.40',
  via: '1.1 intranet-proxy.corp.local',
  'x-forwarded-host': 'erp.corp.local',
};

describe('header hygiene', () => {
  let env: TestEnv;
  let gw: Gateway;
  let up: Awaited<ReturnType<typeof hopUpstream>>;
  let port: number;

  beforeAll(async () => {
    env = testEnv();
    up = await hopUpstream();
    gw = await env.start({
      listen: { data: { host: '127.0.0.1', port: 0, maxHeaderBytes: 4096 }, admin: { host: '127.0.0.1', port: 0 } },
      routes: [
        deliveryRoute('strip', up.url),
        deliveryRoute('pass', up.url, { forwardedHeaders: 'pass' }),
        deliveryRoute('append', up.url, { forwardedHeaders: 'append' }),
      ],
    });
    port = Number(new URL(gw.dataUrl).port);
  });
  afterAll(async () => {
    await gw?.close();
    await new Promise((r) => up?.server.close(r));
    env?.cleanup();
  });

  it('drops hop-by-hop request headers, and those Connection names, before the upstream', async () => {
    const res = await post(`${gw.dataUrl}/strip/orders`, {
      connection: 'keep-alive, x-hop-secret',
      'x-hop-secret': 'internal-token',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'proxy-authorization': 'Basic aW50ZXJuYWw6c2VjcmV0',
      'x-end-to-end': 'kept',
    });
    expect(res.status).toBe(201);
    const seen = up.seen.at(-1) ?? {};
    expect(seen['x-end-to-end']).toBe('kept');
    for (const name of ['x-hop-secret', 'proxy-authorization', 'te', 'keep-alive']) expect(seen[name], name).toBeUndefined();
    expect(seen['x-xborder-transfer-id']).toBe(res.headers['x-xborder-transfer-id']);
  });

  it('drops hop-by-hop response headers, and those Connection names, before the client', async () => {
    const res = await post(`${gw.dataUrl}/strip/orders`, {});
    expect(res.status).toBe(201);
    expect(res.headers['x-resp-kept']).toBe('yes');
    expect(res.headers['x-resp-hop']).toBeUndefined();
    expect(res.headers['proxy-authenticate']).toBeUndefined();
    expect(res.headers['trailer']).toBeUndefined();
    // The gateway's own keep-alive answer, not the upstream's.
    expect(res.headers['keep-alive']).not.toBe('timeout=99');
    expect(res.body).toBe('{"ok":true}');
  });

  it('strips forwarding headers by default and adds none', async () => {
    const res = await post(`${gw.dataUrl}/strip/orders`, FORWARDING);
    expect(res.status).toBe(201);
    const seen = up.seen.at(-1) ?? {};
    for (const name of [...Object.keys(FORWARDING), 'x-forwarded-proto', 'x-forwarded-port']) expect(seen[name], name).toBeUndefined();
  });

  it('passes them unchanged on a pass route, and appends the client address on an append route', async () => {
    expect((await post(`${gw.dataUrl}/pass/orders`, FORWARDING)).status).toBe(201);
    const passed = up.seen.at(-1) ?? {};
    for (const [name, value] of Object.entries(FORWARDING)) expect(passed[name], name).toBe(value);

    expect((await post(`${gw.dataUrl}/append/orders`, FORWARDING)).status).toBe(201);
    expect(up.seen.at(-1)?.['x-forwarded-for']).toBe('10.20.30.40, 127.0.0.1');
    expect((await post(`${gw.dataUrl}/append/orders`, {})).status).toBe(201);
    expect(up.seen.at(-1)?.['x-forwarded-for']).toBe('127.0.0.1');
  });

  const head = (more: string) => `POST /strip/orders HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n${more}`;
  const SMUGGLING: Record<string, string> = {
    'content-length with transfer-encoding (CL.TE)': head('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /strip/admin HTTP/1.1\r\nHost: gw\r\n\r\n'),
    'transfer-encoding with content-length (TE.CL)': head('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n'),
    'two different content-lengths': head(`Content-Length: 2\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`),
    'two equal content-lengths': head(`Content-Length: ${BODY.length}\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`),
    'a content-length list': head(`Content-Length: ${BODY.length}, ${BODY.length}\r\n\r\n${BODY}`),
    'obsolete line folding': head(`X-Note: first\r\n  folded\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`),
    'a folded transfer-encoding': head('Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n'),
    'transfer-encoding not ending in chunked': head('Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n'),
    'an unknown transfer-encoding': head('Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n'),
    'a bad chunk size': head(`Transfer-Encoding: chunked\r\n\r\nzz\r\n${BODY}\r\n0\r\n\r\n`),
    'whitespace before the colon': head(`Content-Length : ${BODY.length}\r\n\r\n${BODY}`),
    'a bare CR in a header value': head(`X-Note: a\rb\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`),
    'an HTTP/1.1 request without Host': `POST /strip/orders HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
  };

  it.each(Object.entries(SMUGGLING))('refuses %s with 400 XB_REQUEST_MALFORMED; nothing reaches the upstream', async (_name, bytes) => {
    const before = up.seen.length;
    const answer = await raw(port, bytes);
    const [headPart = '', body = ''] = answer.split('\r\n\r\n');
    expect(headPart.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(headPart.toLowerCase()).toContain('content-type: application/problem+json');
    expect(headPart.toLowerCase()).toContain('connection: close');
    const problem = JSON.parse(body) as Record<string, unknown>;
    expect(problem).toMatchObject({ status: 400, code: 'XB_REQUEST_MALFORMED', transferId: null });
    expect(String(problem['detail'])).toMatch(/not valid HTTP\/1\.1 and was not forwarded: .*(\(HPE_[A-Z_]+\)|no Host header)$/);
    // Exactly one answer: a smuggled second request got none.
    expect(answer.match(/(^|\r\n)HTTP\/1\.1 \d{3} /g)).toHaveLength(1);
    expect(up.seen.length).toBe(before);
  });

  it('refuses a path that would leave the route upstream (another host by URL or \\) with 400 and sends nothing anywhere', async () => {
    const other = await hopUpstream();
    try {
      const before = up.seen.length;
      // Raw request lines: an HTTP client library would resolve `\\` and `%2e%2e` before sending.
      const otherHost = new URL(other.url).host;
      for (const path of [`/strip/${other.url}/collect`, `/strip/\\\\${otherHost}/collect`]) {
        const answer = await raw(port, `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\nConnection: close\r\n\r\n${BODY}`);
        expect(answer.split('\r\n')[0], path).toBe('HTTP/1.1 400 Bad Request');
        expect(answer, path).toContain('"code":"XB_ROUTE_PATH_INVALID"');
      }
      expect(up.seen.length).toBe(before);
      expect(other.seen).toEqual([]);
    } finally {
      await new Promise((r) => other.server.close(r));
    }
  });

  it('answers headers over listen.data.maxHeaderBytes with 431 XB_REQUEST_HEADERS_TOO_LARGE', async () => {
    const before = up.seen.length;
    const answer = await raw(port, head(`X-Big: ${'a'.repeat(8192)}\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`));
    const [headPart = '', body = ''] = answer.split('\r\n\r\n');
    expect(headPart.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(JSON.parse(body)).toMatchObject({ status: 431, code: 'XB_REQUEST_HEADERS_TOO_LARGE' });
    expect(up.seen.length).toBe(before);
    // A request of the same shape within the limit goes through.
    const ok = await raw(port, head(`X-Big: ${'a'.repeat(1024)}\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n${BODY}`));
    expect(ok.split('\r\n')[0]).toBe('HTTP/1.1 201 Created');
    expect(up.seen.length).toBe(before + 1);
  });
});
