/**
 * The alerter (agent/alerts/index.ts) with real HTTP receivers on 127.0.0.1 and a real state
 * file: once only across restarts (fired keys and the pending queue are on disk before a send),
 * retries with backoff and a bounded number of attempts, the store-failure rate limit, the
 * emergency stop and resume, and what the state file looks like.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlerter, type Alerter } from '../../../agent/alerts/index.js';
import { loadState, saveState } from '../../../agent/alerts/state.js';
import type { AlertsConfig } from '../../../agent/config/load.js';
import { XbError } from '../../../agent/errors.js';
import { startReceiver, type Receiver } from '../../helpers/alert-receivers.js';
import { tempDir } from '../support/policy.js';
import { capturingLogger, eventOf, LIMITED, NOW, snapshotWith, waitFor } from './support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(kind: Parameters<typeof startReceiver>[0], opts?: Parameters<typeof startReceiver>[1]): Promise<Receiver> {
  const r = await startReceiver(kind, opts);
  cleanups.push(() => r.close());
  return r;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function setup(sinks: AlertsConfig['sinks'], over: Partial<AlertsConfig> = {}, clockAt: Date = NOW) {
  const { dir, remove } = tempDir('alerts');
  cleanups.push(remove);
  const config: AlertsConfig = {
    levels: [0.5, 0.8, 0.9, 0.95, 1],
    filingDays: [90, 30, 7],
    sinks,
    retry: { initialMs: 20, maxMs: 80, attempts: 4 },
    timeoutMs: 2_000,
    storeFailureIntervalMs: 600_000,
    stateFile: join(dir, 'alerts', 'gw-1.json'),
    ...over,
  };
  const { log, lines } = capturingLogger();
  let now = clockAt;
  const make = (cfg: AlertsConfig = config): Alerter => {
    const a = createAlerter({ config: cfg, gatewayId: 'gw-1', snapshot: () => snapshotWith(), clock: { now: () => now }, log });
    cleanups.push(() => a.close());
    return a;
  };
  return { dir, config, lines, make, setNow: (d: Date) => (now = d) };
}

const cross80 = () => eventOf([{ counter: LIMITED, before: 79_990, added: 20 }]);

describe('once only, across restarts', () => {
  it('an alert is on disk (fired and pending) before it is sent; a restart resumes the send and does not fire it again', async () => {
    const port = await closedPort();
    const t = setup([{ id: 'hook', kind: 'webhook', url: `http://127.0.0.1:${port}/hook`, secret: undefined }], { retry: { initialMs: 60_000, maxMs: 60_000, attempts: 5 } });
    const first = t.make();
    await first.start();
    first.transferDecided(cross80());
    // The first try fails (nothing listens); the next is a minute away.
    await waitFor('a failed first try', () => t.lines.some((l) => l.msg === 'xborder.alert_send_failed'));
    await first.close();
    const onDisk = JSON.parse(readFileSync(t.config.stateFile, 'utf8'));
    expect(onDisk.version).toBe(1);
    expect(Object.keys(onDisk.fired).sort()).toEqual([
      'counter-level|2026|guangxi-2025/live-commerce/limited|guangxi-2025/live-commerce#6|100000|0.5',
      'counter-level|2026|guangxi-2025/live-commerce/limited|guangxi-2025/live-commerce#6|100000|0.8',
    ]);
    expect(onDisk.pending).toHaveLength(1);
    expect(onDisk.pending[0]).toMatchObject({ sink: 'hook', attempts: 1, alert: { kind: 'counter-level', level: 0.8, value: 80_010 } });
    expect(statSync(t.config.stateFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(t.dir, 'alerts'))).toEqual(['gw-1.json']); // no temp file left behind

    // Restart with the receiver up, and its retry due: delivered once; the same event again fires nothing.
    const r = await receiver('webhook');
    onDisk.pending[0].nextAt = 0;
    writeFileSync(t.config.stateFile, JSON.stringify(onDisk));
    const second = t.make({ ...t.config, sinks: [{ id: 'hook', kind: 'webhook', url: r.url, secret: undefined }] });
    await second.start();
    second.transferDecided(cross80());
    await waitFor('the resumed send', () => r.accepted().length === 1);
    await second.close();
    expect(r.labels()).toEqual({ 'counter 80': 1 });
    expect(JSON.parse(readFileSync(t.config.stateFile, 'utf8')).pending).toEqual([]);
    expect(t.lines.filter((l) => l.msg === 'xborder.alert_fired')).toHaveLength(1);
  });

  it('a pending send for a sink no longer configured is dropped at start, and says so', async () => {
    const t = setup([]);
    await saveState(t.config.stateFile, { fired: new Map([['k', NOW.toISOString()]]), pending: [{ alert: { id: 'k' } as never, sink: 'gone', attempts: 0, nextAt: 0 }], storeFailures: new Map() });
    const a = t.make();
    await a.start();
    expect(a.pending()).toEqual([]);
    expect(t.lines.find((l) => l.msg === 'xborder.alert_dropped')).toMatchObject({ sink: 'gone', reason: 'sink no longer configured' });
  });

  it('a state file that does not parse is moved aside and the alerter starts empty', async () => {
    const t = setup([]);
    await saveState(t.config.stateFile, { fired: new Map(), pending: [], storeFailures: new Map() });
    writeFileSync(t.config.stateFile, '{ torn');
    const a = t.make();
    await a.start();
    expect(t.lines.find((l) => l.msg === 'xborder.alert_state_unreadable')?.movedTo).toMatch(/gw-1\.json\.corrupt-\d+$/);
    expect(loadState(t.config.stateFile, Date.now(), () => undefined).fired.size).toBe(0);
  });

  it('fired keys older than 400 days are forgotten at load', async () => {
    const t = setup([]);
    await saveState(t.config.stateFile, { fired: new Map([['old', '2024-01-01T00:00:00Z'], ['recent', '2026-06-01T00:00:00Z']]), pending: [], storeFailures: new Map() });
    expect([...loadState(t.config.stateFile, NOW.getTime(), () => undefined).fired.keys()]).toEqual(['recent']);
  });
});

describe('delivery', () => {
  it('retries with backoff until the sink takes it (each sink on its own); a robot error code in a 200 counts as a failure', async () => {
    const flaky = await receiver('webhook', { failFirst: 2 });
    const ding = await receiver('dingtalk', { secret: 'right' });
    const good = await receiver('wecom');
    const t = setup([
      { id: 'flaky', kind: 'webhook', url: flaky.url, secret: undefined },
      { id: 'ding', kind: 'dingtalk', url: ding.url, secret: { env: 'XB_TEST_UNIT_DING' } },
      { id: 'good', kind: 'wecom', url: good.url, secret: undefined },
    ]);
    process.env['XB_TEST_UNIT_DING'] = 'wrong';
    cleanups.push(() => void delete process.env['XB_TEST_UNIT_DING']);
    const a = t.make();
    await a.start();
    a.transferDecided(cross80());
    await waitFor('the flaky sink, third try', () => flaky.accepted().length === 1);
    await waitFor('the signed sink to give up', () => t.lines.some((l) => l.msg === 'xborder.alert_dropped' && l.sink === 'ding'));
    expect(good.labels()).toEqual({ 'counter 80': 1 });
    expect(flaky.requests).toHaveLength(3);
    expect(ding.requests).toHaveLength(4); // retry.attempts
    expect(ding.requests.every((r) => r.verified === false)).toBe(true);
    const dropped = t.lines.find((l) => l.msg === 'xborder.alert_dropped');
    expect(dropped).toMatchObject({ sink: 'ding', attempts: 4, reason: 'robot code 310000: sign not match', kind: 'counter-level' });
    const failures = t.lines.filter((l) => l.msg === 'xborder.alert_send_failed' && l.sink === 'flaky');
    expect(failures.map((l) => l.retryInMs)).toEqual([20, 40]);
    expect(a.pending()).toEqual([]);
    // No URL (robot URLs carry tokens) and no alert text in any log line.
    expect(t.lines.some((l) => JSON.stringify(l).includes('127.0.0.1'))).toBe(false);
  });

  it('a sink secret or URL from a variable that is not set stops the start with XB_CFG_INVALID', async () => {
    const t = setup([{ id: 'ding', kind: 'dingtalk', url: { env: 'XB_TEST_UNIT_UNSET_URL' }, secret: undefined }]);
    const a = t.make();
    await expect(a.start()).rejects.toThrow(XbError);
    await expect(t.make().start()).rejects.toThrow(/alerts sink ding url: environment variable XB_TEST_UNIT_UNSET_URL is not set/);
  });
});

describe('store failures, emergency stop', () => {
  it('a store failure alerts at most once per code in 10 minutes, across a restart', async () => {
    const r = await receiver('webhook');
    const t = setup([{ id: 'hook', kind: 'webhook', url: r.url, secret: undefined }]);
    const failed = (at: string, code = 'XB_STORE_UNAVAILABLE') => eventOf([], { time: new Date(at), errorCode: code, decision: { kind: 'block', rules: [], reason: 'store-unavailable', enforceWouldBlock: true } });
    const a = t.make();
    await a.start();
    a.transferDecided(failed('2026-06-15T02:00:00Z'));
    a.transferDecided(failed('2026-06-15T02:05:00Z'));
    a.transferDecided(failed('2026-06-15T02:05:00Z', 'XB_STORE_LOST'));
    await waitFor('two alerts', () => r.accepted().length === 2);
    await a.close();
    const b = t.make();
    await b.start();
    b.transferDecided(failed('2026-06-15T02:08:00Z'));
    b.transferDecided(failed('2026-06-15T02:10:00Z')); // 10 minutes after the first
    await waitFor('the third', () => r.accepted().length === 3);
    await b.close();
    expect(r.accepted().map((q) => q.body.text.en.match(/\((XB_STORE_\w+)\)/)?.[1])).toEqual(['XB_STORE_UNAVAILABLE', 'XB_STORE_LOST', 'XB_STORE_UNAVAILABLE']);
    expect(r.accepted().map((q) => q.body.kind)).toEqual(['store-failure', 'store-failure', 'store-failure']);
    expect(r.accepted()[0]?.body.severity).toBe('critical');
  });

  it('emergencyStop(by, reason) and resumed(by) each alert once; emergencyChanged(state) is the same, usable detached', async () => {
    const r = await receiver('feishu', { secret: 'feishu-secret' });
    const t = setup([]);
    const secretFile = join(t.dir, 'feishu.secret');
    writeFileSync(secretFile, 'feishu-secret\n', { mode: 0o600 });
    const a = t.make({ ...t.config, sinks: [{ id: 'fs', kind: 'feishu', url: r.url, secret: { file: secretFile } }] });
    await a.start();
    a.emergencyStop('ops@example', 'suspected leak on route sg');
    const changed = a.emergencyChanged;
    changed({ stopped: false, by: 'dpo@example', reason: null });
    await waitFor('both', () => r.accepted().length === 2);
    expect(r.requests.every((q) => q.verified)).toBe(true);
    expect(r.accepted().map((q) => q.label)).toEqual(['emergency-stop', 'emergency-resume']);
    expect(r.accepted()[0]?.body.content.text).toContain('By ops@example; reason: suspected leak on route sg');
    expect(r.accepted()[0]?.body.content.text).toContain('操作人：ops@example');
    expect(r.accepted()[1]?.body.content.text).toContain('By dpo@example');
  });
});

describe('filings at start', () => {
  it('checked at start; a second start the same day sends nothing more', async () => {
    const r = await receiver('webhook');
    const t = setup([{ id: 'hook', kind: 'webhook', url: r.url, secret: undefined }]);
    const filing = { id: 'SC-1', kind: 'standard-contract' as const, covers: { list: 'guangxi-2025' }, effective: '2025-01-01', expires: '2026-06-22' };
    const make = () => {
      const a = createAlerter({ config: t.config, gatewayId: 'gw-1', snapshot: () => snapshotWith([filing]), clock: { now: () => NOW }, log: capturingLogger().log });
      cleanups.push(() => a.close());
      return a;
    };
    const a = make();
    await a.start();
    await waitFor('the 7-day alert', () => r.accepted().length === 1);
    await a.close();
    const b = make();
    await b.start();
    expect(b.pending()).toEqual([]); // nothing queued: fired before
    await b.close();
    expect(r.labels()).toEqual({ 'expiry 7': 1 });
  });
});
