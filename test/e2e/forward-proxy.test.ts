/**
 * Forward-proxy mode (issue 9, acceptance 1): real clients configured with HTTP_PROXY and
 * HTTPS_PROXY (undici's EnvHttpProxyAgent) reach local upstreams through the gateway's proxy
 * listener and are decided like route mode; CONNECT to an unrouted host is refused with a body
 * that says why; a passthrough host tunnels; an unrouted host outside the mainland is refused as
 * cross-border (an IP literal: its jurisdiction needs no DNS).
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../agent/gateway.js';
import { caFromPem, generateTestCa, mintLeaf } from '../../agent/proxy/certs.js';
import { decisionLines, testEnv, type TestEnv } from '../helpers/gateway.js';
import { shipment } from '../helpers/shipments.js';
import { startUpstream, type Received, type Upstream } from '../helpers/upstream.js';

/** A client built the way an application's HTTP client is: from HTTP_PROXY / HTTPS_PROXY in the environment. */
function envClient(env: Record<string, string>, opts: ConstructorParameters<typeof EnvHttpProxyAgent>[0] = {}): EnvHttpProxyAgent {
  const keys = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  for (const k of keys) delete process.env[k];
  Object.assign(process.env, env, { NO_PROXY: '' });
  try {
    return new EnvHttpProxyAgent(opts);
  } finally {
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

async function post(url: string, body: unknown, dispatcher: Dispatcher) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), dispatcher });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

/** A raw CONNECT: status line and body of the proxy's answer (refusals close the connection). */
function rawConnect(proxyUrl: string, authority: string, then?: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let sentThen = false;
    s.setTimeout(5_000, () => s.destroy(new Error('CONNECT answer timed out')));
    s.on('error', reject);
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      const text = Buffer.concat(chunks).toString('utf8');
      if (then && !sentThen && text.startsWith('HTTP/1.1 200')) {
        sentThen = true;
        chunks.length = 0;
        s.write(then);
      }
    });
    s.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    s.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`);
  });
}

const problemOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, any>;
const listen = (server: Server, host: string) => new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));

describe('forward-proxy mode', () => {
  let env: TestEnv;
  let plain: Upstream;
  let secure: Server;
  const secureReceived: Received[] = [];
  let passthroughServer: Server;
  let passthroughPort: number;
  let gw: Gateway;
  let caPem: string;

  beforeAll(async () => {
    env = testEnv();
    plain = await startUpstream();
    // The HTTPS upstream's certificate comes from a test CA that also signs the interception leaves.
    const ca = await generateTestCa();
    caPem = ca.certPem;
    const leaf = await mintLeaf(await caFromPem(ca.certPem, ca.keyPem), { name: '127.0.0.1', kind: 'ipv4' }, new Date(), 3_600_000);
    writeFileSync(join(env.dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(env.dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
    secure = createHttpsServer({ key: leaf.keyPem, cert: leaf.certPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        secureReceived.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"secure":true}');
      });
    });
    const securePort = await listen(secure, '127.0.0.1');
    // A passthrough host: another loopback address, so that no route's host covers it.
    passthroughServer = createHttpServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`passthrough ${req.method} ${req.url}`));
    passthroughPort = await listen(passthroughServer, '127.0.0.2');
    const route = (id: string, upstream: string, pathPrefix: string, more: Record<string, unknown> = {}) => ({
      id,
      upstream,
      recipient: { name: 'Example Logistics Pte. Ltd.', country: 'SG' },
      domain: 'guangxi-2025/live-commerce',
      scenario: 'cross-border-delivery',
      match: { hosts: ['127.0.0.1'], pathPrefix },
      ...more,
    });
    gw = await env.start({
      // A CIIO: one person's PI without a security assessment is refused (Order 16 Art. 7(1)); a body without PI is allowed.
      company: { name: 'Grid Operator Co.', regime: 'guangxi', ciio: true },
      routes: [
        route('plain', `${plain.url}/plain`, '/plain'),
        route('secure', `https://127.0.0.1:${securePort}/secure`, '/secure', { upstreamTls: { ca: 'ca.pem' } }),
      ],
      proxy: { listen: { host: '127.0.0.1', port: 0 }, passthrough: ['127.0.0.2'], tunnelOnly: [], ca: { cert: 'ca.pem', key: 'ca.key' } },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await plain?.close();
    await new Promise((r) => secure?.close(r));
    await new Promise((r) => passthroughServer?.close(r));
    env?.cleanup();
  });

  it('HTTP_PROXY (absolute form): allowed, and refused with 451, exactly like route mode', async () => {
    const client = envClient({ HTTP_PROXY: gw.proxyUrl as string }, { proxyTunnel: false });
    try {
      const ok = await post(`${plain.url}/plain/orders?x=1`, { ping: 1 }, client);
      expect(ok.status).toBe(201);
      expect(ok.headers['x-xborder-decision']).toBe('allow');
      expect(plain.received.at(-1)?.url).toBe('/plain/orders?x=1');
      const before = plain.received.length;
      const blocked = await post(`${plain.url}/plain/orders`, shipment(1, 'P-1'), client);
      expect(blocked.status).toBe(451);
      expect(blocked.json).toMatchObject({ code: 'XB_DECISION_BLOCKED', transferId: blocked.headers['x-xborder-transfer-id'] });
      expect(plain.received).toHaveLength(before);
      const lines = decisionLines(env.logLines);
      expect(lines.find((l) => l['transferId'] === ok.headers['x-xborder-transfer-id'])).toMatchObject({ route: 'plain', decision: 'allow' });
      expect(lines.find((l) => l['transferId'] === blocked.headers['x-xborder-transfer-id'])).toMatchObject({ route: 'plain', decision: 'block' });
    } finally {
      await client.close();
    }
  });

  it('HTTP_PROXY with undici’s default CONNECT tunnel for http:// is inspected too (plain HTTP inside the tunnel)', async () => {
    const client = envClient({ HTTP_PROXY: gw.proxyUrl as string });
    try {
      const ok = await post(`${plain.url}/plain/tunnelled`, { ping: 2 }, client);
      expect(ok.status).toBe(201);
      expect(ok.headers['x-xborder-decision']).toBe('allow');
      const blocked = await post(`${plain.url}/plain/tunnelled`, shipment(2, 'P-2'), client);
      expect(blocked.status).toBe(451);
      expect(plain.received.filter((r) => r.url === '/plain/tunnelled')).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('HTTPS_PROXY trusting the company CA: TLS intercepted, decided, re-originated to the verified upstream', async () => {
    const client = envClient({ HTTPS_PROXY: gw.proxyUrl as string }, { requestTls: { ca: caPem } });
    const url = `https://127.0.0.1:${new URL(gw.snapshot().routes.get('secure')?.upstream.href ?? '').port}`;
    try {
      const ok = await post(`${url}/secure/upload`, { ping: 3 }, client);
      expect(ok.status, JSON.stringify(ok.json)).toBe(201);
      expect(ok.json).toEqual({ secure: true });
      expect(ok.headers['x-xborder-decision']).toBe('allow');
      expect(secureReceived.at(-1)).toMatchObject({ method: 'POST', url: '/secure/upload' });
      const blocked = await post(`${url}/secure/upload`, shipment(3, 'S-1'), client);
      expect(blocked.status).toBe(451);
      expect(blocked.json.code).toBe('XB_DECISION_BLOCKED');
      expect(secureReceived).toHaveLength(1);
      expect(decisionLines(env.logLines).find((l) => l['transferId'] === blocked.headers['x-xborder-transfer-id'])).toMatchObject({ route: 'secure', decision: 'block' });
    } finally {
      await client.close();
    }
  });

  it('a client that does not trust the company CA cannot be intercepted unnoticed: its handshake fails', async () => {
    const client = envClient({ HTTPS_PROXY: gw.proxyUrl as string });
    try {
      const url = `https://127.0.0.1:${new URL(gw.snapshot().routes.get('secure')?.upstream.href ?? '').port}/secure/x`;
      await expect(post(url, { ping: 4 }, client)).rejects.toThrow();
    } finally {
      await client.close();
    }
  });

  it('CONNECT to a host neither routed nor passthrough: 403 saying a tunnel would be invisible and where to go instead', async () => {
    const res = await rawConnect(gw.proxyUrl as string, 'intranet.invalid:443');
    expect(res.status).toBe(403);
    const problem = problemOf(res.text);
    expect(problem).toMatchObject({ code: 'XB_PROXY_HOST_NOT_ROUTED', host: 'intranet.invalid', jurisdiction: 'unknown' });
    expect(problem['detail']).toContain('invisible');
    expect(problem['detail']).toContain('plain, secure');
  });

  it('a passthrough host tunnels (CONNECT) and is relayed untouched (absolute form), with no transfer decided', async () => {
    const decided = decisionLines(env.logLines).length;
    const tunnelled = await rawConnect(gw.proxyUrl as string, `127.0.0.2:${passthroughPort}`, `GET /t HTTP/1.1\r\nhost: 127.0.0.2\r\nconnection: close\r\n\r\n`);
    expect(tunnelled.text).toContain('passthrough GET /t');
    const client = envClient({ HTTP_PROXY: gw.proxyUrl as string }, { proxyTunnel: false });
    try {
      const res = await request(`http://127.0.0.2:${passthroughPort}/r?q=1`, { method: 'GET', dispatcher: client });
      expect(await res.body.text()).toBe('passthrough GET /r?q=1');
    } finally {
      await client.close();
    }
    expect(decisionLines(env.logLines)).toHaveLength(decided);
    expect(env.logLines.some((l) => l.includes('"xborder.proxy_tunnel"'))).toBe(true);
  });

  it('an unrouted host outside the mainland is refused as cross-border, however its address is written', async () => {
    const viaConnect = await rawConnect(gw.proxyUrl as string, '8.8.8.8:443');
    expect(viaConnect.status).toBe(403);
    expect(problemOf(viaConnect.text)).toMatchObject({ code: 'XB_PROXY_CROSS_BORDER_NOT_ROUTED', jurisdiction: 'cross-border', countries: ['US'] });
    // An IPv4-mapped IPv6 spelling of a Hong Kong address: outside the mainland for data export.
    const client = envClient({ HTTP_PROXY: gw.proxyUrl as string }, { proxyTunnel: false });
    try {
      const res = await post('http://[::ffff:1.36.0.1]/upload', { ping: 5 }, client);
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ code: 'XB_PROXY_CROSS_BORDER_NOT_ROUTED', host: '1.36.0.1', countries: ['HK'] });
    } finally {
      await client.close();
    }
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${gw.adminToken}` } })).text();
    expect(metrics).toMatch(/xborder_proxy_refused_total\{code="XB_PROXY_CROSS_BORDER_NOT_ROUTED",jurisdiction="cross-border"\} 2/);
  });

  it('/api/status names the jurisdiction database and the date of its data', async () => {
    const res = await fetch(`${gw.adminUrl}/api/status`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
    const status = (await res.json()) as { jurisdictionDb: { source: string; dataDate: string } };
    expect(status.jurisdictionDb.source).toMatch(/^geoip-country@/);
    expect(status.jurisdictionDb.dataDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
