/**
 * Per-route upstream settings through a real gateway: TLS to an upstream that requires a client
 * certificate, with a test CA and SNI (certificates made here with openssl); header timeouts → 504;
 * an idempotent request retried only when none of its bytes were sent (one TRANSFER and one OUTCOME
 * record whatever the attempts), never a POST; the keep-alive pool's size; the route's body limit;
 * and config errors naming the key.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createTcp, type AddressInfo, type Server as TcpServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../agent/gateway.js';
import { readRecords } from '../../agent/record/read.js';
import { deliveryRoute, postJson, testEnv, type TestEnv } from '../helpers/gateway.js';
import { freePort } from '../helpers/redis.js';

const BODY = { shipments: [{ orderNo: 'O-1', goodsName: 'tea', quantity: 1 }] };

/** A test CA, a server certificate for upstream.test and a client certificate, as PEM files in `dir`. */
function makeCerts(dir: string): Record<'ca' | 'serverKey' | 'serverCert' | 'clientKey' | 'clientCert' | 'otherCa', string> {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=xborder test CA');
  ssl('req', '-x509', ...ec, '-keyout', f('other.key'), '-out', f('other.pem'), '-days', '2', '-subj', '/CN=unrelated CA');
  ssl('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=upstream.test');
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:upstream.test\n');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('server.ext'));
  ssl('req', ...ec, '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=xborder-gw');
  ssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('client.pem'), '-days', '2');
  return { ca: f('ca.pem'), serverKey: f('server.key'), serverCert: f('server.pem'), clientKey: f('client.key'), clientCert: f('client.pem'), otherCa: f('other.pem') };
}

const listening = async <T extends Server | HttpsServer | TcpServer>(s: T): Promise<T & { port: number }> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return Object.assign(s, { port: (s.address() as AddressInfo).port });
};
const stop = (s: Server | HttpsServer | TcpServer | undefined) =>
  new Promise<void>((r) => {
    if (!s) return r();
    if ('closeAllConnections' in s) s.closeAllConnections();
    s.close(() => r());
  });

async function send(url: string, method: string, body: unknown = BODY): Promise<{ status: number; json: any; transferId: string }> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, transferId: String(res.headers.get('x-xborder-transfer-id')) };
}

describe('per-route upstream settings', () => {
  let env: TestEnv;
  let gw: Gateway;
  let certs: ReturnType<typeof makeCerts>;
  /** mTLS upstream: who connected, under which SNI name. */
  let tlsUp: HttpsServer & { port: number };
  const tlsSeen: { servername: string | false | null; clientCn: string; method: string }[] = [];
  /** In front of tlsUp: drops the next `drop` connections on accept (a reset in the TLS handshake). */
  let flaky: TcpServer & { port: number };
  const front = { drop: 0, accepted: 0 };
  /** Plain upstream whose behaviour the test sets per path. */
  let plain: Server & { port: number };
  const plainSeen: string[] = [];
  let refusedPort: number;
  /** Pool test: sockets open at once, at most. */
  const pool = { open: 0, maxOpen: 0, held: [] as ServerResponse[] };
  let pooled: Server & { port: number };

  beforeAll(async () => {
    env = testEnv();
    certs = makeCerts(join(env.dir, 'certs'));
    const { readFileSync } = await import('node:fs');
    tlsUp = await listening(
      createHttps({ key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ca: readFileSync(certs.ca), requestCert: true, rejectUnauthorized: true }, (req, res) => {
        const socket = req.socket as TLSSocket;
        tlsSeen.push({ servername: socket.servername, clientCn: String(socket.getPeerCertificate().subject?.CN), method: req.method ?? '' });
        req.resume();
        req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{"tls":true}'));
      }),
    );
    flaky = await listening(
      createTcp((sock) => {
        front.accepted++;
        if (front.drop > 0) {
          front.drop--;
          sock.resetAndDestroy();
          return;
        }
        const to = connect(tlsUp.port, '127.0.0.1');
        sock.pipe(to).pipe(sock);
        to.on('error', () => sock.destroy());
        sock.on('error', () => to.destroy());
      }),
    );
    plain = await listening(
      createHttp((req, res) => {
        plainSeen.push(`${req.method} ${req.url}`);
        req.resume();
        req.on('end', () => {
          if (req.url?.startsWith('/reset')) return req.socket.destroy(); // after the request was received
          if (req.url?.startsWith('/silent')) return; // never answers
          res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
        });
      }),
    );
    pooled = await listening(
      createHttp((req: IncomingMessage, res: ServerResponse) => {
        req.resume();
        req.on('end', () => {
          // Answer in pairs (two requests in flight at once), or alone after 5 s: never hangs.
          const answer = (r: ServerResponse) => {
            pool.held = pool.held.filter((h) => h !== r);
            if (!r.headersSent) r.writeHead(201).end('{}');
          };
          pool.held.push(res);
          const timer = setTimeout(() => answer(res), 5_000);
          res.on('close', () => clearTimeout(timer));
          if (pool.held.length >= 2) for (const r of [...pool.held]) answer(r);
        });
      }),
    );
    pooled.on('connection', (s) => {
      pool.open++;
      pool.maxOpen = Math.max(pool.maxOpen, pool.open);
      s.on('close', () => pool.open--);
    });
    refusedPort = await freePort();
    const tls = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, servername: 'upstream.test' };
    gw = await env.start({
      routes: [
        deliveryRoute('mtls', `https://127.0.0.1:${tlsUp.port}/api`, { upstreamTls: tls }),
        deliveryRoute('no-client-cert', `https://127.0.0.1:${tlsUp.port}/api`, { upstreamTls: { ca: certs.ca, servername: 'upstream.test' } }),
        deliveryRoute('wrong-ca', `https://127.0.0.1:${tlsUp.port}/api`, { upstreamTls: { ...tls, ca: certs.otherCa } }),
        deliveryRoute('wrong-name', `https://127.0.0.1:${tlsUp.port}/api`, { upstreamTls: { ...tls, servername: 'other.test' } }),
        deliveryRoute('flaky', `https://127.0.0.1:${flaky.port}`, { upstreamTls: tls }),
        // Other pool settings, so its own pool: its first request opens a fresh connection.
        deliveryRoute('flaky-post', `https://127.0.0.1:${flaky.port}`, { upstreamTls: tls, pool: { connections: 3 } }),
        deliveryRoute('plain', `http://127.0.0.1:${plain.port}`, { timeouts: { headersMs: 300 }, limits: { maxBodyBytes: 2048 } }),
        deliveryRoute('refused', `http://127.0.0.1:${refusedPort}`, { retries: 2 }),
        deliveryRoute('pooled', `http://127.0.0.1:${pooled.port}`, { pool: { connections: 2 } }),
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([stop(tlsUp), stop(flaky), stop(plain), stop(pooled)]);
    env?.cleanup();
  });

  const evidenceOf = (transferId: string) =>
    [...readRecords(join(env.dir, 'data', 'evidence'))].map((r) => r.record).filter((r) => r.transferId === transferId);

  it('reaches an upstream that requires a client certificate, trusting the route CA, with its SNI name', async () => {
    const res = await send(`${gw.dataUrl}/mtls/v1/orders`, 'POST');
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ tls: true });
    expect(tlsSeen.at(-1)).toEqual({ servername: 'upstream.test', clientCn: 'xborder-gw', method: 'POST' });
  });

  it('answers 502 when the upstream refuses a client without a certificate', async () => {
    const before = tlsSeen.length;
    const res = await send(`${gw.dataUrl}/no-client-cert/v1/orders`, 'POST');
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 'XB_UPSTREAM_UNREACHABLE', transferId: res.transferId, attempts: 1 });
    // TLS 1.3: the client sent its request before the upstream's alert, so the session ends after it.
    expect(res.json.detail).toMatch(/refused the TLS session: ERR_SSL_|UND_ERR_SOCKET \(other side closed\)/);
    expect(tlsSeen.length).toBe(before);
  });

  it('answers 502 naming the certificate problem for an untrusted CA or a name the certificate lacks', async () => {
    const untrusted = await send(`${gw.dataUrl}/wrong-ca/v1/orders`, 'PUT');
    expect(untrusted.status).toBe(502);
    expect(untrusted.json.detail).toMatch(/certificate that is not accepted/);
    expect(untrusted.json.attempts).toBe(1); // a rejected certificate is not retried
    const wrongName = await send(`${gw.dataUrl}/wrong-name/v1/orders`, 'POST');
    expect(wrongName.status).toBe(502);
    expect(wrongName.json.detail).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('retries a PUT once when the connection is reset before it was sent: one TRANSFER, one OUTCOME', async () => {
    const [accepted, seen] = [front.accepted, tlsSeen.length];
    front.drop = 1;
    const res = await send(`${gw.dataUrl}/flaky/v1/orders/7`, 'PUT');
    expect(res.status).toBe(201);
    expect(front.accepted - accepted).toBe(2);
    expect(tlsSeen.length - seen).toBe(1);
    const records = evidenceOf(res.transferId);
    expect(records.map((r) => r.kind)).toEqual(['TRANSFER', 'OUTCOME']);
    expect(records[1]?.outcome).toMatchObject({ upstreamStatus: 201, attempts: 2 });
  });

  it('never retries a POST, even one that was not sent', async () => {
    const [accepted, seen] = [front.accepted, tlsSeen.length];
    front.drop = 1;
    const res = await send(`${gw.dataUrl}/flaky-post/v1/orders`, 'POST');
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 'XB_UPSTREAM_UNREACHABLE', attempts: 1 });
    expect(front.accepted - accepted).toBe(1);
    expect(tlsSeen.length).toBe(seen);
    expect(evidenceOf(res.transferId).map((r) => [r.kind, r.outcome?.errorCode ?? ''])).toEqual([
      ['TRANSFER', ''],
      ['OUTCOME', 'XB_UPSTREAM_UNREACHABLE'],
    ]);
  });

  it('never retries a PUT whose bytes reached the upstream', async () => {
    const before = plainSeen.length;
    const res = await send(`${gw.dataUrl}/plain/reset`, 'PUT');
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 'XB_UPSTREAM_UNREACHABLE', attempts: 1 });
    expect(plainSeen.slice(before)).toEqual(['PUT /reset']);
  });

  it('retries a refused PUT up to routes[].retries more times; a POST once only', async () => {
    const put = await send(`${gw.dataUrl}/refused/x`, 'PUT');
    expect(put.status).toBe(502);
    expect(put.json).toMatchObject({ code: 'XB_UPSTREAM_UNREACHABLE', attempts: 3 });
    expect(put.json.detail).toMatch(/ECONNREFUSED/);
    expect(evidenceOf(put.transferId).map((r) => r.kind)).toEqual(['TRANSFER', 'OUTCOME']);
    expect(evidenceOf(put.transferId)[1]?.outcome).toMatchObject({ upstreamStatus: 0, errorCode: 'XB_UPSTREAM_UNREACHABLE', attempts: 3 });
    const post = await send(`${gw.dataUrl}/refused/x`, 'POST');
    expect(post.json).toMatchObject({ code: 'XB_UPSTREAM_UNREACHABLE', attempts: 1 });
  });

  it('answers 504 XB_UPSTREAM_TIMEOUT when the upstream sends no headers within the route timeouts.headersMs', async () => {
    const res = await send(`${gw.dataUrl}/plain/silent`, 'POST');
    expect(res.status).toBe(504);
    expect(res.json).toMatchObject({ code: 'XB_UPSTREAM_TIMEOUT', transferId: res.transferId });
    expect(evidenceOf(res.transferId).find((r) => r.kind === 'OUTCOME')?.outcome).toMatchObject({ upstreamStatus: 0, errorCode: 'XB_UPSTREAM_TIMEOUT' });
  });

  it('refuses a body over the route limits.maxBodyBytes with 413 before any evidence, declared or chunked', async () => {
    const before = plainSeen.length;
    const big = { shipments: [{ orderNo: 'O-1', note: 'x'.repeat(4096) }] };
    const declared = await postJson(`${gw.dataUrl}/plain/x`, big);
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ code: 'XB_BODY_TOO_LARGE', transferId: null, limitBytes: 2048 });
    expect(declared.json.detail).toMatch(/routes\[\]\.limits\.maxBodyBytes/);
    const chunked = await fetch(`${gw.dataUrl}/plain/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(JSON.stringify(big)));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(plainSeen.length).toBe(before);
    // Within the limit it goes through; another route keeps limits.spoolBytes.
    expect((await send(`${gw.dataUrl}/plain/x`, 'POST')).status).toBe(201);
    expect((await postJson(`${gw.dataUrl}/mtls/x`, big)).status).toBe(201);
  });

  it('opens at most routes[].pool.connections connections to the origin', async () => {
    pool.maxOpen = 0;
    const results = await Promise.all(Array.from({ length: 6 }, () => send(`${gw.dataUrl}/pooled/x`, 'POST')));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(pool.maxOpen).toBe(2);
  });
});

describe('upstream config errors', () => {
  let env: TestEnv;
  let certs: ReturnType<typeof makeCerts>;
  beforeAll(() => {
    env = testEnv();
    certs = makeCerts(join(env.dir, 'certs'));
  });
  afterAll(() => env?.cleanup());

  const refused = async (route: Record<string, unknown>, more: Record<string, unknown> = {}) => {
    const err = await env.start({ routes: [deliveryRoute('r', 'https://127.0.0.1:9', route)], ...more }).then(
      async (gw) => (await gw.close(), undefined),
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toBe('XB_CFG_INVALID');
    return err?.message ?? '';
  };

  it('names the key of a missing file, a key that is not the certificate key, a lone cert, TLS on http, an oversized body limit', async () => {
    expect(await refused({ upstreamTls: { ca: 'no-such-ca.pem' } })).toMatch(/routes\[0\]\.upstreamTls\.ca: .*no-such-ca\.pem cannot be read: ENOENT/);
    expect(await refused({ upstreamTls: { cert: certs.clientCert, key: certs.serverKey } })).toMatch(/routes\[0\]\.upstreamTls\.key: this key does not belong to the certificate/);
    expect(await refused({ upstreamTls: { cert: certs.clientCert } })).toMatch(/routes\[0\]\.upstreamTls\.key: a client certificate needs both cert and key/);
    expect(await refused({ upstreamTls: { ca: certs.clientKey } })).toMatch(/routes\[0\]\.upstreamTls\.ca: not a PEM certificate bundle/);
    expect(await refused({ upstream: 'http://127.0.0.1:9', upstreamTls: { ca: certs.ca } })).toMatch(/routes\[0\]\.upstreamTls: upstream TLS settings need an https:\/\/ upstream/);
    expect(await refused({ limits: { maxBodyBytes: 4096 } }, { limits: { spoolBytes: 2048 } })).toMatch(/routes\[0\]\.limits\.maxBodyBytes: 4096 is above limits\.spoolBytes/);
    expect(await refused({ forwardedHeaders: 'add' })).toMatch(/routes\[0\]\.forwardedHeaders/);
    expect(await refused({ pool: { connections: 0 } })).toMatch(/routes\[0\]\.pool\.connections/);
  });
});
