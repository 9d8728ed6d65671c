/**
 * Registered important data (issue 4): values registered with `xborder fingerprints add` are
 * refused in any field of any route — here a Guangxi live-commerce route, not a national one —
 * citing the national rules' item 8, and nobody is counted; a value one character off passes.
 * A value registered while the gateway runs is matched after a reload.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { registerFingerprints } from '../../agent/cli/fingerprints.js';
import type { Gateway } from '../../agent/gateway.js';
import { counters, decisionLines, deliveryRoute, postJson, REPO, testEnv, type TestEnv } from '../helpers/gateway.js';
import { shipment } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const REGISTERED = ['GX-矿区-0042 探明储量 3.2 亿吨', 'SEC-ALPHA-2291', '20260042'];

describe('registered important data (fingerprints)', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway;
  const config = () => ({
    routes: [deliveryRoute('sg', upstream.url)],
  });

  beforeAll(async () => {
    env = testEnv();
    upstream = await startUpstream();
    // Started once to write the config and key; values are registered while it is stopped.
    const first = await env.start(config());
    const loaded = first.config;
    await first.close();
    expect(await registerFingerprints(loaded, [...REGISTERED, '', '  '])).toEqual({ added: 3, total: 3, skipped: 2 });
    expect((await registerFingerprints(loaded, ['SEC-ALPHA-2291'])).added).toBe(0);
    gw = await env.start(config());
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    env?.cleanup();
  });

  const send = (extra: Record<string, unknown>, n = 1) =>
    postJson(`${gw.dataUrl}/sg/v1/shipments`, { shipments: [{ ...shipment(n, `F-${n}`), ...extra }] });

  it.each([
    ['a remark', { remark: 'GX-矿区-0042 探明储量 3.2 亿吨' }],
    ['a nested field, spaced and full-width', { extra: { notes: ['x', ' ＳＥＣ－ＡＬＰＨＡ－２２９１  '] } }],
    ['a number', { batch: 20260042 }],
  ])('refuses a registered value in %s with 451, citing the national item, and counts nobody', async (_what, extra) => {
    const before = await counters(gw);
    const res = await send(extra, 7);
    expect(res.status).toBe(451);
    expect(res.json.reason).toBe('important-data');
    expect(res.json.rules).toEqual([
      expect.objectContaining({ list: 'cn-national', domain: 'national', item: 8, obligation: 'security-assessment', indicators: ['registered-important-data'] }),
    ]);
    expect(await counters(gw)).toEqual(before);
    expect(upstream.received).toHaveLength(0);
    // Counts and names, never values: the decision line carries none of the registered text.
    const line = decisionLines(env.logLines).at(-1);
    expect(line?.['decision']).toBe('block');
    expect(env.logLines.join('\n')).not.toContain('SEC-ALPHA');
  });

  it('forwards a near miss (one character different)', async () => {
    const res = await send({ remark: 'GX-矿区-0043 探明储量 3.2 亿吨', code: 'SEC-ALPHA-2292', batch: 20260043 }, 8);
    expect(res.status).toBe(201);
    expect(upstream.received).toHaveLength(1);
  });

  it('matches a value registered while running after a reload', async () => {
    expect((await send({ remark: 'NEW-SECRET-7' }, 9)).status).toBe(201);
    expect((await registerFingerprints(gw.config, ['NEW-SECRET-7'])).added).toBe(1);
    await gw.reload();
    expect((await send({ remark: 'NEW-SECRET-7' }, 10)).status).toBe(451);
  });
});

describe('xborder fingerprints add / count (the built CLI)', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(join(REPO, 'dist', 'agent', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
    dir = mkdtempSync(join(tmpdir(), 'xb-fp-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const xborder = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(REPO, 'bin', 'xborder.js'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, XB_HMAC_KEY: '' } });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };

  it('registers the values of a file, says how many were new, and counts them; stores no value', () => {
    const config = join(dir, 'xborder.yaml');
    writeFileSync(config, stringify({ company: { name: 'CLI Co.', regime: 'guangxi' }, dataDir: join(dir, 'data'), policy: { dir: join(REPO, 'policy', 'packs') }, routes: [{ id: 'r', upstream: 'http://127.0.0.1:9', recipient: { name: 'X Ltd', country: 'SG' }, domain: 'guangxi-2025/live-commerce', scenario: 'cross-border-delivery' }] }));
    writeFileSync(join(dir, 'values.txt'), '\uFEFFSEC-ALPHA-2291\r\n矿区储量 3.2 亿吨\n\n  SEC-ALPHA-2291  \n');
    expect(xborder('fingerprints', 'count', '--config', config)).toMatchObject({ status: 0, out: '0\n' });
    expect(xborder('fingerprints', 'add', 'values.txt', '--config', config)).toMatchObject({ status: 0, out: '2 new fingerprints registered (2 in all)\n' });
    expect(xborder('fingerprints', 'add', 'values.txt', '--config', config)).toMatchObject({ status: 0, out: '0 new fingerprints registered (2 in all)\n' });
    expect(xborder('fingerprints', 'count', '--config', config)).toMatchObject({ status: 0, out: '2\n' });
    // Keyed hashes only: the raw value is in no file of the data directory.
    const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]));
    for (const f of files(join(dir, 'data'))) expect(spawnSync('grep', ['-c', 'SEC-ALPHA', f], { encoding: 'utf8' }).stdout.trim()).toBe('0');
  });

  it('names a missing file and exits 1; bad usage exits 2', () => {
    const config = join(dir, 'xborder.yaml');
    expect(xborder('fingerprints', 'add', 'nope.txt', '--config', config)).toMatchObject({ status: 1, err: expect.stringContaining('nope.txt: ENOENT') });
    expect(xborder('fingerprints', 'frobnicate').status).toBe(2);
  });
});
