#!/usr/bin/env node
// The baseline of bench/proxy.mjs: a plain pass-through proxy, fastify + undici, no inspection.
// The request body is streamed to the upstream and the answer streamed back. Prints one JSON line
// { dataUrl } when listening; exits on SIGTERM/SIGINT. Usage: node bench/passthrough-child.mjs <upstream-url>
import Fastify from 'fastify';
import { Agent, request } from 'undici';

const upstream = process.argv[2];
const dispatcher = new Agent({ connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);
app.all('/*', async (req, reply) => {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  if (req.headers['content-length']) headers['content-length'] = req.headers['content-length'];
  const res = await request(upstream + req.url, { method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req.raw, dispatcher });
  const out = {};
  for (const [k, v] of Object.entries(res.headers)) if (!HOP.has(k)) out[k] = v;
  reply.code(res.statusCode).headers(out);
  return reply.send(res.body);
});
await app.listen({ host: '127.0.0.1', port: 0 });
const a = app.server.address();
process.stdout.write(`${JSON.stringify({ dataUrl: `http://127.0.0.1:${a.port}` })}\n`);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => app.close().then(() => process.exit(0)));
