/**
 * proxy: forward-proxy mode beside route mode (docs/proxy.md). Starts the listener of server.ts
 * with the company CA and its leaf cache (certs.ts) and the jurisdiction database
 * (jurisdiction.ts). In: the `proxy` config and the pipeline's `handle`. Out: a listening server.
 * Never: start without every configured file readable (a CA that cannot be read stops the start).
 */
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../clock.js';
import type { ProxyConfig } from '../config/load.js';
import type { Logger } from '../observability/log.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { TransferRequest, TransferResponse } from '../pipeline.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import type { ListenerLimits } from '../receive/listener.js';
import type { SpoolOptions } from '../receive/spool.js';
import { createLeafCache, loadCa, mintLeaf } from './certs.js';
import { openJurisdictionDb, type JurisdictionDb } from './jurisdiction.js';
import { createProxyServer } from './server.js';

export interface ProxyStartOptions {
  readonly config: ProxyConfig;
  readonly snapshot: () => PolicySnapshot;
  readonly handle: (req: TransferRequest) => Promise<TransferResponse>;
  readonly spool: SpoolOptions;
  readonly log: Logger;
  readonly metrics: ProxyMetrics;
  readonly clock: Clock;
  readonly upstream: { readonly connectTimeoutMs: number; readonly headersTimeoutMs: number };
  readonly dataUrl: () => string;
  /** The data plane's connection limits and timeouts (listen.data), applied to this listener too. */
  readonly limits: ListenerLimits;
  /** How long close() lets inspected requests in flight finish before cutting them (listen.data.drainTimeoutMs). */
  readonly drainTimeoutMs: number;
}

export interface RunningProxy {
  /** `http://host:port` as bound: what clients put in HTTP_PROXY / HTTPS_PROXY. */
  readonly url: string;
  readonly jurisdiction: JurisdictionDb;
  close(): Promise<void>;
}

export async function startProxy(opts: ProxyStartOptions): Promise<RunningProxy> {
  const { config } = opts;
  const ca = config.ca ? await loadCa(config.ca.cert, config.ca.key) : undefined;
  const leaves = ca
    ? createLeafCache({ maxEntries: config.leafCacheSize, lifetimeMs: config.leafLifetimeHours * 3_600_000, now: () => opts.clock.now(), mint: (host, now, lifetime) => mintLeaf(ca, host, now, lifetime) })
    : undefined;
  const jurisdiction = openJurisdictionDb({ resolveTimeoutMs: config.resolveTimeoutMs });
  const server = createProxyServer({
    snapshot: opts.snapshot,
    handle: opts.handle,
    passthrough: config.passthrough,
    tunnelOnly: config.tunnelOnly,
    spool: opts.spool,
    leaves,
    jurisdiction,
    log: opts.log,
    metrics: opts.metrics,
    connectTimeoutMs: opts.upstream.connectTimeoutMs,
    responseTimeoutMs: opts.upstream.headersTimeoutMs,
    dataUrl: opts.dataUrl,
    maxHeaderBytes: opts.limits.maxHeaderBytes,
  });
  // Slow or too many clients are cut as on the data plane. requestTimeout is left off: it would
  // also cut a CONNECT tunnel's long-lived socket.
  server.maxConnections = opts.limits.maxConnections;
  server.headersTimeout = Math.min(opts.limits.headersTimeoutMs, opts.limits.requestTimeoutMs);
  server.keepAliveTimeout = opts.limits.keepAliveTimeoutMs;
  // Tunnels outlive their CONNECT request: tracked so that close() can end them.
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  opts.log.info({ proxyUrl: url, interception: ca !== undefined, passthrough: config.passthrough.length, tunnelOnly: config.tunnelOnly.length, jurisdictionDb: jurisdiction.source }, 'xborder.proxy_started');
  return {
    url,
    jurisdiction,
    close: async () => {
      // Stop accepting; requests being answered finish (their transfer's OUTCOME recorded) up to
      // the drain timeout; then tunnels and whatever is left are cut.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + opts.drainTimeoutMs;
      while (server.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      if (server.inFlight() > 0) opts.log.warn({ inFlight: server.inFlight(), drainTimeoutMs: opts.drainTimeoutMs }, 'xborder.proxy_drain_timeout');
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
