#!/usr/bin/env node
// A gateway in its own process for bench/proxy.mjs, so its CPU can be read from /proc/<pid>/stat:
// startGateway (dist/) on the given config, logs at warn, prints one JSON line { dataUrl } when
// listening, closes and exits on SIGTERM/SIGINT (so `node --cpu-prof` writes its profile).
// Usage: node bench/gateway-child.mjs <config.yaml>
import { startGateway } from '../dist/agent/gateway.js';
import { createLogger } from '../dist/agent/observability/log.js';

const gw = await startGateway({ configFile: process.argv[2], log: createLogger('warn') });
process.stdout.write(`${JSON.stringify({ dataUrl: gw.dataUrl })}\n`);
let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  gw.close().then(() => process.exit(0), () => process.exit(1));
};
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, stop);
