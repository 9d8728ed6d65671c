#!/usr/bin/env node
// A stand-in overseas upstream for the README tour and benchmarks: answers every request with a
// small JSON receipt (method, path, bytes received). Loopback only. Usage: node bench/upstream.mjs [port]
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8081);
const server = createServer((req, res) => {
  let bytes = 0;
  req.on('data', (c) => (bytes += c.length));
  req.on('end', () => {
    const body = JSON.stringify({ received: true, method: req.method, path: req.url, bytes });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(port, '127.0.0.1', () => console.log(`demo upstream on http://127.0.0.1:${port}`));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
