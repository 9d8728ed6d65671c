/**
 * The `xborder` command as a newcomer runs it: a real process from bin/xborder.js (the compiled
 * build that `npm start` and `npm test` make), stopped by SIGTERM; `evidence verify` on its output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { REPO } from '../helpers/gateway.js';
import { BIN, startProcess } from '../helpers/process.js';
import { shipment, shipperPhone } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';


describe('xborder CLI', () => {
  let dir: string;
  let upstream: Upstream;

  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist', 'agent', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
    dir = mkdtempSync(join(tmpdir(), 'xb-cli-'));
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, serves a transfer, stops on SIGTERM, and leaves a chain that verifies', async () => {
    const config = join(dir, 'xborder.yaml');
    writeFileSync(
      config,
      stringify({
        company: { name: 'CLI Test Co.', regime: 'guangxi' },
        gatewayId: 'cli',
        dataDir: join(dir, 'data'),
        listen: { data: { port: 0 }, admin: { port: 0 } },
        policy: { dir: join(REPO, 'policy', 'packs') },
        routes: [
          {
            id: 'r',
            upstream: upstream.url,
            recipient: { name: 'X Ltd', country: 'SG' },
            domain: 'guangxi-2025/live-commerce',
            scenario: 'cross-border-delivery',
          },
        ],
      }),
    );
    const gw = startProcess(config, dir, { ...process.env, XB_HMAC_KEY: '', XB_ADMIN_TOKEN: '' });
    const started = await gw.line('"xborder.started"');
    const { dataUrl, adminUrl } = JSON.parse(started) as { dataUrl: string; adminUrl: string };

    expect((await fetch(`${adminUrl}/healthz`)).status).toBe(200);
    const res = await fetch(`${dataUrl}/r/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(shipment(1, 'O-1')) });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-xborder-decision')).toBe('allow');
    // No key configured: one was generated into the data directory, owner-only.
    expect(existsSync(join(dir, 'data', 'hmac.key'))).toBe(true);

    // SIGHUP reloads config and policy in place, recorded as a RELOAD in the chain.
    gw.child.kill('SIGHUP');
    await gw.line('"xborder.reloaded"');

    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    expect(gw.output()).toContain('"xborder.stopped"');

    // The dry run peeks at the same store: person 1 is already counted, person 2 would be new.
    const batch = join(dir, 'batch.json');
    writeFileSync(batch, JSON.stringify([shipment(1, 'O-2'), { ...shipment(2, 'O-3'), remark: 'E12345678' }]));
    const dry = () => spawnSync(process.execPath, [BIN, 'classify', '--route', 'r', '--config', config, '--json', batch], { cwd: dir, encoding: 'utf8' });
    for (let i = 0; i < 2; i++) {
      const run = dry();
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const report = JSON.parse(run.stdout) as { counters: unknown[]; decision: { kind: string }; catalog: { field: string; dataItem: string }[]; keys: string; findings: unknown[] };
      // A passport-like value with no label is shown for review and counted for nobody.
      expect(report.findings).toEqual([{ detector: 'passport', dataItem: 'passport-number', field: 'remark', reason: 'no-label', occurrences: 1 }]);
      expect(report.counters).toEqual([{ counter: 'guangxi-2025/live-commerce/limited', before: 1, added: 1, after: 2 }]);
      expect(report.decision.kind).toBe('allow');
      expect(report.keys).toBe('configured');
      expect(report.catalog).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'shipperPhone', dataItem: 'shipper-contact' })]));
      expect(run.stdout).not.toContain(shipperPhone(2));
    }
    const text = spawnSync(process.execPath, [BIN, 'classify', '--route', 'r', '--config', config, batch], { cwd: dir, encoding: 'utf8' });
    expect(text.stdout).toContain('decision: allow');
    expect(text.stdout).toContain('guangxi-2025/live-commerce/limited: 1 + 1 new → 2');

    const verified = spawnSync(process.execPath, [BIN, 'evidence', 'verify', join(dir, 'data', 'evidence')], { encoding: 'utf8' });
    expect(verified.status).toBe(0);
    expect(verified.stdout).toMatch(/^cli: ok, 5 records/m); // START, TRANSFER, OUTCOME, RELOAD, STOP
  });

  it('lints the shipped packs clean, and names file, line and key for a broken one', () => {
    const ok = spawnSync(process.execPath, [BIN, 'policy', 'lint', join(REPO, 'policy')], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^ok: \d+ packs, \d+ domains, \d+ items; policy revision [0-9a-f]{64}$/m);
    const broken = spawnSync(process.execPath, [BIN, 'policy', 'lint', join(REPO, 'test', 'fixtures', 'packs', 'unknown-counter')], { cwd: REPO, encoding: 'utf8' });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/XB_POLICY_INVALID/);
    expect(broken.stderr).toMatch(/test\/fixtures\/packs\/unknown-counter\/test-list\.yaml:\d+ domains\[0\]\.items\[0\]\.thresholds\[0\]\.counter: unknown counter limted/);
  });

  it('explains an item as a person reads it', () => {
    const run = spawnSync(process.execPath, [BIN, 'policy', 'explain', 'guangxi-2025/live-commerce#6'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Guangxi 2025 list, domain 3, item 6');
    expect(run.stdout).toContain('standard contract or certification');
    expect(run.stdout).toContain('100,000 ≤ n < 2,000,000');
    expect(run.stdout).toContain('发货人姓名 (shipper name)');
    const missing = spawnSync(process.execPath, [BIN, 'policy', 'explain', 'guangxi-2025/live-commerce#99'], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/has no item 99; items: /);
  });

  it('refuses a broken config with the file, line and key of every error, and exit status 1', () => {
    const config = join(dir, 'broken.yaml');
    writeFileSync(config, ['company:', '  name: X', '  regime: guangxi', 'mode: enforced', 'routes: []', 'colour: blue', ''].join('\n'));
    const run = spawnSync(process.execPath, [BIN, 'start', '--config', config], { cwd: dir, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('XB_CFG_INVALID');
    expect(run.stderr).toMatch(/broken\.yaml:4 mode: /);
    expect(run.stderr).toMatch(/broken\.yaml:5 routes: /);
    expect(run.stderr).toMatch(/broken\.yaml:6 colour: unknown key/);
  });
});
