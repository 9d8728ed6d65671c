/**
 * Start a real gateway in-process on 127.0.0.1 port 0, on a temp data directory, with a config
 * file written for the test; capture its pino log lines so tests can assert on them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { stringify } from 'yaml';
import type { Clock } from '../../agent/clock.js';
import { afterAll, beforeAll } from 'vitest';
import { startGateway, type Gateway } from '../../agent/gateway.js';
import { startRedis, type RedisServer } from './redis.js';
import { startUpstream, type Upstream } from './upstream.js';

export const REPO = resolve(import.meta.dirname, '..', '..');

export interface TestEnv {
  readonly dir: string;
  readonly logLines: string[];
  /** Write the config (merged over a base with ports 0 and the repo's packs) and start a gateway on it. */
  start(overrides?: Record<string, unknown>, clock?: Clock): Promise<Gateway>;
  cleanup(): void;
}

export function testEnv(): TestEnv {
  const dir = mkdtempSync(join(tmpdir(), 'xb-e2e-'));
  const keyFile = join(dir, 'hmac.key');
  writeFileSync(keyFile, 'a'.repeat(64), { mode: 0o600 });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return {
    dir,
    logLines,
    async start(overrides = {}, clock) {
      const config = {
        company: { name: 'Test Live Commerce Co.', regime: 'guangxi' },
        gatewayId: 'gw-test',
        dataDir: join(dir, 'data'),
        listen: { data: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
        identity: { key: { file: keyFile } },
        policy: { dir: join(REPO, 'policy', 'packs') },
        ...overrides,
      };
      const file = join(dir, 'xborder.yaml');
      writeFileSync(file, stringify(config));
      return startGateway({ configFile: file, log: pino({ level: 'info' }, sink), ...(clock ? { clock } : {}) });
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

/** Exact counter values from the admin plane's /api/status. */
export async function counters(gw: Gateway, value: 'exact' | 'estimated' = 'exact'): Promise<Record<string, number>> {
  const res = await fetch(`${gw.adminUrl}/api/status`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
  if (res.status !== 200) throw new Error(`/api/status answered ${res.status}`);
  const status = (await res.json()) as { counters: { counter: string; exact: number; estimated: number }[] };
  return Object.fromEntries(status.counters.map((c) => [c.counter, c[value]]));
}

export const decisionLines = (lines: readonly string[]) =>
  lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l['msg'] === 'xborder.decision');

/** A live-commerce delivery route (Guangxi 2025, domain 3, scenario 跨境配送) to `upstream`. */
export const deliveryRoute = (id: string, upstream: string, more: Record<string, unknown> = {}) => ({
  id,
  upstream,
  recipient: { name: 'Example Logistics Pte. Ltd.', country: 'SG' },
  domain: 'guangxi-2025/live-commerce',
  scenario: 'cross-border-delivery',
  recordRoot: '$.shipments[*]',
  ...more,
});

export interface OnOwnRedis {
  readonly env: TestEnv;
  readonly redis: RedisServer;
  readonly upstream: Upstream;
  readonly gw: Gateway;
}

/**
 * Inside a describe: a gateway on a redis-server of the test's own (no persistence: a restart
 * comes back empty; commands time out after 500 ms) with a recording upstream, started before the
 * tests and stopped, by PID, after them.
 */
export function gatewayOnOwnRedis(keyPrefix: string, routes: (upstreamUrl: string) => unknown[]): OnOwnRedis {
  const s = {} as { env: TestEnv; redis: RedisServer; upstream: Upstream; gw: Gateway };
  beforeAll(async () => {
    s.env = testEnv();
    s.redis = await startRedis();
    s.upstream = await startUpstream();
    s.gw = await s.env.start({ store: { kind: 'redis', url: s.redis.url, keyPrefix, timeoutMs: 500 }, routes: routes(s.upstream.url) });
  });
  afterAll(async () => {
    await s.gw?.close();
    await s.upstream?.close();
    await s.redis?.stop();
    s.env?.cleanup();
  });
  return s;
}

