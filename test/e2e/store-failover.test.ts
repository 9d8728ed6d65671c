/**
 * Redis failing over under a running gateway (real master, replica and Sentinel of the test's
 * own). With store.waitReplicas 1 every forwarded transfer's persons are on the replica before
 * they leave, so the promoted replica holds every count: after the failover the counter equals
 * the persons the upstream received, and counting goes on from there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../agent/gateway.js';
import { counters, deliveryRoute, postJson, testEnv, type TestEnv } from '../helpers/gateway.js';
import { redisCli, redisServerAvailable, startRedis, startSentinel, waitUntil, type RedisSentinel, type RedisServer } from '../helpers/redis.js';
import { shipment } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const batch = (from: number, n: number) => ({ shipments: Array.from({ length: n }, (_, i) => shipment(from + i, `SO-${from + i}`)) });

describe.skipIf(!redisServerAvailable())('a Sentinel failover under a running gateway', () => {
  let env: TestEnv;
  let master: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisSentinel;
  let upstream: Upstream;
  let gw: Gateway;

  beforeAll(async () => {
    env = testEnv();
    master = await startRedis();
    replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    await waitUntil('the replica in sync', async () => (await redisCli(replica.port, 'INFO', 'replication')).includes('master_link_status:up'));
    sentinel = await startSentinel(master);
    await waitUntil('the sentinel to see the replica', async () => (await redisCli(sentinel.port, 'SENTINEL', 'replicas', sentinel.name)).includes(String(replica.port)));
    upstream = await startUpstream();
    gw = await env.start({
      store: { kind: 'redis', sentinel: { name: sentinel.name, sentinels: sentinel.sentinels }, keyPrefix: 'xb-failover', timeoutMs: 1000, waitReplicas: 1 },
      routes: [deliveryRoute('sg', upstream.url)],
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await sentinel?.stop();
    await replica?.stop();
    await master?.stop();
    env?.cleanup();
  });

  it('keeps every forwarded person counted across the failover, and counts on', async () => {
    for (let b = 0; b < 5; b++) expect((await postJson(`${gw.dataUrl}/sg/v1/shipments`, batch(b * 100, 100))).status).toBe(201);
    expect((await counters(gw))[LIMITED]).toBe(500);

    await redisCli(sentinel.port, 'SENTINEL', 'FAILOVER', sentinel.name);
    await waitUntil(
      'the replica promoted',
      async () => (await redisCli(sentinel.port, 'SENTINEL', 'get-master-addr-by-name', sentinel.name)).includes(String(replica.port)),
      30_000,
    );
    // During the switch transfers may be refused (503, never forwarded uncounted); resend until
    // the gateway reaches the new master, bounded.
    const forwarded = new Set<number>();
    for (let b = 5; b < 10; b++) {
      for (let attempt = 0; attempt < 60; attempt++) {
        const res = await postJson(`${gw.dataUrl}/sg/v1/shipments`, batch(b * 100, 100));
        if (res.status === 201) {
          forwarded.add(b);
          break;
        }
        expect(res.status).toBe(503);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    expect(forwarded.size).toBe(5);
    expect((await redisCli(replica.port, 'ROLE')).startsWith('master')).toBe(true);
    expect((await counters(gw))[LIMITED]).toBe(1000);
    expect(upstream.received.length).toBe(10);
  }, 90_000);
});
