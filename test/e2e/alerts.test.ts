/**
 * Alerts end to end: a real gateway in-process, a real upstream, and five real HTTP receivers on
 * 127.0.0.1 — a generic webhook, a WeCom robot, a DingTalk robot (加签, verified), a Feishu bot
 * (签名校验, verified) and a webhook that fails its first 2 requests.
 *
 * The limited counter of Guangxi 2025 live commerce (item 6: 100,000 ≤ n < 2,000,000, standard
 * contract) is brought through 80%, 90% and 100% — each time loaded through the store API to 20
 * short, then crossed by a batch of 20 new shippers through the gateway — with the gateway
 * restarted in between; a security assessment expiring in 30 days (and so in its renewal window)
 * is configured throughout. Every receiver gets each alert exactly once, in its robot's format;
 * the flaky one too, after its retries. "Exactly once" is checked without waiting for nothing:
 * the observer enqueues before the transfer is answered, and the gateway's close writes whatever
 * is still pending to the state file, so after the last close "nothing pending" + "each label
 * once at each receiver" means nothing was repeated, nothing lost.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaYear, type Clock } from '../../agent/clock.js';
import { openEmbeddedStore } from '../../agent/count/store/embedded.js';
import type { Gateway } from '../../agent/gateway.js';
import { loadIdentityKey } from '../../agent/identify/key.js';
import { startReceiver, type Receiver } from '../helpers/alert-receivers.js';
import { deliveryRoute, postJson, testEnv, type TestEnv } from '../helpers/gateway.js';
import { batchBody } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
/** 2026-06-15 10:00 China time. */
const clock: Clock = { now: () => new Date('2026-06-15T02:00:00Z') };
const YEAR = chinaYear(clock.now());
const DING_SECRET = 'SECtest-dingtalk-secret-0123456789';
const FEISHU_SECRET = 'test-feishu-secret';
const DING_ENV = 'XB_TEST_ALERTS_DINGTALK_SECRET';

/** Expires 30 days after the clock's day; a security assessment, so its renewal window (60 working days) is open too. */
const expiring = {
  id: 'SA-GEO-2025',
  kind: 'security-assessment',
  covers: { list: 'guangxi-2025', domains: ['geo-meteo'] },
  effective: '2025-07-16',
  expires: '2026-07-15',
};

/** Every receiver's labels once the run is over. */
const EXPECTED = { 'expiry 30': 1, 'filing-renewal-window': 1, 'counter 80': 1, 'counter 90': 1, 'counter 100': 1 };

async function waitFor(what: string, probe: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('alerts: counter levels, filing expiry, four sink formats, retries, once only across restarts', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway | undefined;
  let receivers: Receiver[];
  let flaky: Receiver;
  let preloaded = 0;
  const stateFile = () => join(env.dir, 'data', 'alerts', 'gw-test.json');

  /** Put more persons on the limited counter through the store API, with the gateway stopped. */
  async function preloadTo(total: number): Promise<void> {
    const identity = loadIdentityKey({ file: join(env.dir, 'hmac.key'), generatedFile: join(env.dir, 'unused.key') });
    const store = openEmbeddedStore(join(env.dir, 'data', 'store'));
    try {
      while (preloaded < total) {
        const n = Math.min(50_000, total - preloaded);
        const members = Array.from({ length: n }, (_, i) => createHash('sha256').update(`alerts preloaded ${preloaded + i}`).digest().subarray(0, 16));
        const added = await store.checkAndAdd(YEAR, identity.fingerprint, [{ counter: LIMITED, members, blocked: [] }], { expectCounted: preloaded > 0, unions: [] });
        expect(added.admitted).toBe(true);
        preloaded += n;
      }
    } finally {
      await store.close();
    }
  }

  /** The limited counter's exact value, read from the store with the gateway stopped. */
  async function storedCount(): Promise<number | undefined> {
    const store = openEmbeddedStore(join(env.dir, 'data', 'store'));
    try {
      return (await store.counts(YEAR)).get(LIMITED);
    } finally {
      await store.close();
    }
  }

  const start = async () => {
    const secretFile = join(env.dir, 'feishu.secret');
    writeFileSync(secretFile, `${FEISHU_SECRET}\n`, { mode: 0o600 });
    const [webhook, wecom, dingtalk, feishu] = receivers as [Receiver, Receiver, Receiver, Receiver];
    gw = await env.start(
      {
        routes: [deliveryRoute('sg', upstream.url)],
        filings: [expiring],
        alerts: {
          sinks: [
            { kind: 'webhook', id: 'ops-json', url: webhook.url },
            { kind: 'wecom', url: wecom.url },
            { kind: 'dingtalk', url: dingtalk.url, secret: { env: DING_ENV } },
            { kind: 'feishu', url: feishu.url, secret: { file: secretFile } },
            { kind: 'webhook', id: 'flaky', url: flaky.url },
          ],
          retry: { initialMs: 50, maxMs: 200, attempts: 5 },
        },
      },
      clock,
    );
    return gw;
  };
  const stop = async () => {
    await gw?.close();
    gw = undefined;
  };
  const everyone = () => [...receivers, flaky];
  const allHave = (label: string) => everyone().every((r) => (r.labels()[label] ?? 0) >= 1);
  const send = async (batch: string, from: number) => {
    const res = await postJson(`${(gw as Gateway).dataUrl}/sg/v1/shipments`, batchBody({ id: batch, shippers: Array.from({ length: 20 }, (_, i) => from + i) }));
    return res;
  };

  beforeAll(async () => {
    env = testEnv();
    process.env[DING_ENV] = DING_SECRET;
    upstream = await startUpstream();
    receivers = [await startReceiver('webhook'), await startReceiver('wecom'), await startReceiver('dingtalk', { secret: DING_SECRET }), await startReceiver('feishu', { secret: FEISHU_SECRET })];
    flaky = await startReceiver('webhook', { failFirst: 2 });
  });

  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    for (const r of [...(receivers ?? []), ...(flaky ? [flaky] : [])]) await r.close();
    delete process.env[DING_ENV];
    env?.cleanup();
  });

  it('at start: the 30-day expiry and the renewal window of the expiring filing, to every sink', async () => {
    await preloadTo(79_990);
    await start();
    await waitFor('the filing alerts at every receiver', () => allHave('expiry 30') && allHave('filing-renewal-window'));
    const json = receivers[0]?.accepted().find((r) => r.label === 'expiry 30')?.body;
    expect(json).toMatchObject({ schema: 1, kind: 'filing-expiry', severity: 'warning', level: 30, value: 30, filing: 'SA-GEO-2025', time: clock.now().toISOString(), gatewayId: 'gw-test' });
    expect(json.text.zh).toContain('2026-07-15');
    expect(json.text.en).toContain('expires 2026-07-15, in 30 days');
    const renewal = receivers[0]?.accepted().find((r) => r.label === 'filing-renewal-window')?.body;
    expect(renewal).toMatchObject({ kind: 'filing-renewal-window', filing: 'SA-GEO-2025', citation: expect.stringContaining('Order No. 16, Art. 9') });
  });

  it('80%: a batch taking the limited counter from 79,990 to 80,010 alerts once (50% is subsumed, not sent)', async () => {
    const res = await send('b80', 0);
    expect(res.status).toBe(201);
    await waitFor('the 80% alert at every receiver', () => allHave('counter 80'));
    const json = receivers[0]?.accepted().find((r) => r.label === 'counter 80')?.body;
    expect(json).toMatchObject({
      kind: 'counter-level',
      severity: 'info',
      level: 0.8,
      counter: LIMITED,
      threshold: '100,000 ≤ n < 2,000,000',
      value: 80_010,
      attempted: null,
      item: { list: 'guangxi-2025', domain: 'live-commerce', number: 6, obligation: 'standard-contract-or-certification' },
      citation: 'Guangxi 2025 list, domain 3, item 6',
      year: YEAR,
      gatewayId: 'gw-test',
    });
    expect(json.text.zh).toContain('80,010 人');
    expect(json.text.en).toContain('80% of guangxi-2025/live-commerce item 6');
    await stop();
    expect(await storedCount()).toBe(80_010);
    // Close wrote the state: nothing pending, private file.
    const state = JSON.parse(readFileSync(stateFile(), 'utf8'));
    expect(state.pending).toEqual([]);
    expect(Object.keys(state.fired)).toEqual(expect.arrayContaining([`counter-level|${YEAR}|${LIMITED}|guangxi-2025/live-commerce#6|100000|0.5`, `counter-level|${YEAR}|${LIMITED}|guangxi-2025/live-commerce#6|100000|0.8`]));
    expect(statSync(stateFile()).mode & 0o777).toBe(0o600);
  });

  it('90%, after a restart: 89,990 → 90,010', async () => {
    await preloadTo(79_990 + 9_980);
    await start();
    const res = await send('b90', 20);
    expect(res.status).toBe(201);
    await waitFor('the 90% alert at every receiver', () => allHave('counter 90'));
    expect(receivers[0]?.accepted().find((r) => r.label === 'counter 90')?.body).toMatchObject({ level: 0.9, value: 90_010, severity: 'warning' });
    await stop();
    expect(await storedCount()).toBe(90_010);
  });

  it('100%, after a restart: the batch that would take 99,990 to 100,010 is refused, and that is the 100% alert', async () => {
    await preloadTo(79_990 + 9_980 + 9_980);
    await start();
    const res = await send('b100', 40);
    expect(res.status).toBe(451);
    await waitFor('the 100% alert at every receiver', () => allHave('counter 100'));
    const json = receivers[0]?.accepted().find((r) => r.label === 'counter 100')?.body;
    expect(json).toMatchObject({ level: 1, severity: 'critical', value: 99_990, attempted: 100_010 });
    expect(json.text.en).toContain('was refused');
    expect(json.text.zh).toContain('已被拒绝');
    await stop();
    expect(await storedCount()).toBe(99_990); // the refused batch added nobody
  });

  it('after one more restart and the same refusal again, nothing more is sent and nothing is pending', async () => {
    await start();
    expect((await send('b100-again', 40)).status).toBe(451);
    expect((await send('repeats', 0)).status).toBe(201); // persons already counted: admitted, adds nobody
    await stop();
    expect(JSON.parse(readFileSync(stateFile(), 'utf8')).pending).toEqual([]);
    for (const r of everyone()) expect(r.labels(), `${r.kind} ${r.url}`).toEqual(EXPECTED);
  });

  it('each robot got its own format, signed where it signs; the flaky webhook got everything after 2 failed tries', () => {
    const [webhook, wecom, dingtalk, feishu] = receivers as [Receiver, Receiver, Receiver, Receiver];
    for (const r of everyone()) expect(r.requests.every((q) => q.wellFormed), r.kind).toBe(true);
    expect(webhook.requests.every((q) => q.headers['content-type']?.startsWith('application/json'))).toBe(true);
    expect(wecom.accepted().map((q) => q.body.msgtype)).toEqual(Array(5).fill('markdown'));
    expect(wecom.accepted()[0]?.path).toBe('/cgi-bin/webhook/send?key=test-wecom-key');
    expect(dingtalk.requests.map((q) => q.verified)).toEqual(Array(5).fill(true));
    expect(dingtalk.accepted()[0]?.path).toMatch(/^\/robot\/send\?access_token=test-ding-token&timestamp=\d+&sign=/);
    expect(feishu.requests.map((q) => q.verified)).toEqual(Array(5).fill(true));
    expect(feishu.accepted()[0]?.body).toMatchObject({ msg_type: 'text', timestamp: expect.stringMatching(/^\d{10}$/) });
    // Both languages in every robot message.
    const robotText = [wecom.accepted()[0]?.body.markdown.content, dingtalk.accepted()[0]?.body.markdown.text, feishu.accepted()[0]?.body.content.text];
    for (const t of robotText) {
      expect(t).toContain('将于 2026-07-15 到期');
      expect(t).toContain('expires 2026-07-15');
    }
    expect(flaky.requests).toHaveLength(5 + 2);
    expect(flaky.requests.slice(0, 2).every((q) => !q.accepted && q.label === 'expiry 30')).toBe(true);
    // The retries were logged; nothing was dropped.
    const lines = env.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l['msg'] === 'xborder.alert_send_failed' && l['sink'] === 'flaky')).toHaveLength(2);
    expect(lines.some((l) => l['msg'] === 'xborder.alert_dropped')).toBe(false);
  });
});
