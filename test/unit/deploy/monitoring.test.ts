/**
 * deploy/: the Grafana dashboard parses as JSON and the Prometheus rules as YAML, each has what ops
 * were promised (panels, thresholds, alerts), and every metric they name is one the gateway exports
 * (the names below are the contract; the gateway's own registry is checked against them too).
 * With `promtool` on PATH, the rules' own unit tests run as well (deploy/prometheus/*.test.yaml).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../../../agent/observability/metrics.js';
import { REPO } from '../../helpers/gateway.js';

const DASHBOARD = join(REPO, 'deploy', 'grafana', 'xborder-dashboard.json');
const RULES = join(REPO, 'deploy', 'prometheus', 'xborder-rules.yaml');
const RULES_TEST = join(REPO, 'deploy', 'prometheus', 'xborder-rules.test.yaml');

/** The metrics of the external contract (DESIGN: admin plane, GET /metrics). */
const CONTRACT = [
  'xborder_transfers_total',
  'xborder_transfer_bytes_total',
  'xborder_persons_added_total',
  'xborder_counter_persons',
  'xborder_counter_utilization',
  'xborder_stage_seconds',
  'xborder_store_errors_total',
  'xborder_evidence_head_seq',
  'xborder_evidence_lag_seconds',
  'xborder_emergency_stop',
  'xborder_filing_expiry_days',
  // Replicas sharing one store (issue 11, control/replicas.ts).
  'xborder_replicas',
  'xborder_replica_policy_revisions',
  'xborder_replica_info',
];
/** Series Prometheus makes itself, not the gateway. */
const PROMETHEUS_OWN = new Set(['up']);

/** Series names a metric family exposes (a histogram's _bucket, _sum and _count). */
const series = (name: string, type: string): string[] => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]);

async function defaultProcessMetrics(): Promise<string[]> {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: 'xborder_' });
  return (await register.getMetricsAsJSON()).flatMap((m) => series(m.name, String(m.type)));
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  title: string;
  uid: string;
  panels: { id: number; type: string; title: string; datasource: { type: string; uid: string }; gridPos: { x: number; y: number; w: number; h: number }; targets: { expr: string; datasource: { uid: string } }[]; fieldConfig: { defaults: { thresholds?: { steps: { value: number | null }[] } } } }[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string; datasource?: { uid: string } }[] };
};
const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: { alert: string; expr: string; for?: string; labels: { severity: string }; annotations: { summary: string; description: string } }[] }[] };
const alerts = rules.groups.flatMap((g) => g.rules);
const alert = (name: string) => {
  const a = alerts.find((r) => r.alert === name);
  if (!a) throw new Error(`no alert ${name} in ${RULES}`);
  return a;
};

/** Every PromQL expression of both files (panel targets, template queries, alert expressions). */
const expressions = (): string[] => [
  ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
  ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : [])),
  ...alerts.map((a) => a.expr),
];

/** Metric names an expression selects: `xborder_…` anywhere, and any name followed by `{`. */
function metricNames(expr: string): string[] {
  const names = new Set<string>(expr.match(/\bxborder_[a-z0-9_]+/g) ?? []);
  for (const m of expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)) names.add(m[1] as string);
  return [...names];
}

describe('deploy/ monitoring files', () => {
  it('the gateway exports every metric of the contract, under that name', async () => {
    const declared = new Map((await createMetrics().registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
    for (const name of CONTRACT) expect(declared.has(name), name).toBe(true);
    expect(declared.get('xborder_stage_seconds')).toBe('histogram');
  });

  it('every metric the dashboard and the rules use is one the gateway exports', async () => {
    const allowed = new Set([...CONTRACT.flatMap((n) => series(n, n === 'xborder_stage_seconds' ? 'histogram' : 'other')), ...(await defaultProcessMetrics()), ...PROMETHEUS_OWN]);
    const used = new Set(expressions().flatMap(metricNames));
    const unknown = [...used].filter((n) => !allowed.has(n));
    expect(unknown).toEqual([]);
    // And they use the ones ops asked for.
    for (const name of ['xborder_transfers_total', 'xborder_persons_added_total', 'xborder_counter_utilization', 'xborder_stage_seconds_bucket', 'xborder_store_errors_total', 'xborder_evidence_lag_seconds', 'xborder_emergency_stop', 'xborder_filing_expiry_days']) {
      expect(used.has(name), name).toBe(true);
    }
  });

  it('the Grafana dashboard is importable: a Prometheus data source variable that every panel uses', () => {
    expect(dashboard.title).toBe('xborder');
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) expect(v.datasource?.uid, v.name).toBe('${datasource}');
    const ids = new Set<number>();
    for (const p of dashboard.panels) {
      expect(ids.has(p.id), `panel id ${p.id}`).toBe(false);
      ids.add(p.id);
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of p.targets) expect(t.datasource.uid, p.title).toBe('${datasource}');
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.targets.length, p.title).toBeGreaterThan(0);
    }
  });

  it('has the panels ops asked for, utilization with thresholds at 0.8, 0.9 and 1.0', () => {
    const byTitle = (re: RegExp) => dashboard.panels.filter((p) => re.test(p.title));
    const exprOf = (re: RegExp) => byTitle(re).flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    expect(exprOf(/^Transfers by decision$/)).toMatch(/sum by \(decision\) \(rate\(xborder_transfers_total\{/);
    expect(exprOf(/^Persons added/)).toContain('xborder_persons_added_total');
    expect(exprOf(/^Stage latency p50 \/ p99$/)).toMatch(/histogram_quantile\(0\.5,[\s\S]*histogram_quantile\(0\.99,/);
    expect(exprOf(/^Store errors/)).toContain('xborder_store_errors_total');
    expect(exprOf(/^Evidence lag$/)).toContain('xborder_evidence_lag_seconds');
    expect(exprOf(/^Emergency stop$/)).toContain('xborder_emergency_stop');
    const utilization = byTitle(/utilization/i);
    expect(utilization.length).toBeGreaterThanOrEqual(2);
    for (const p of utilization) {
      const steps = (p.fieldConfig.defaults.thresholds?.steps ?? []).map((s) => s.value);
      expect(steps, p.title).toEqual(expect.arrayContaining([0.8, 0.9, 1]));
    }
  });

  it('alerts on counter utilization ≥ 0.8 / 0.9 / 1.0, store errors, evidence lag, emergency stop, filing expiry and a gateway down', () => {
    expect(alert('XborderCounterUtilization80').expr).toMatch(/xborder_counter_utilization\{[^}]*\}\) >= 0\.8 < 0\.9$/);
    expect(alert('XborderCounterUtilization90').expr).toMatch(/xborder_counter_utilization\{[^}]*\}\) >= 0\.9 < 1$/);
    expect(alert('XborderCounterUtilization100').expr).toMatch(/xborder_counter_utilization\{[^}]*\}\) >= 1$/);
    expect(alert('XborderCounterUtilization100').labels.severity).toBe('critical');
    expect(alert('XborderStoreErrors').expr).toMatch(/increase\(xborder_store_errors_total\{[^}]*\}\[5m\]\)\) > 0/);
    expect(alert('XborderEvidenceLag').expr).toMatch(/xborder_evidence_lag_seconds\{[^}]*\}\) > 60/);
    expect(alert('XborderEmergencyStop').expr).toMatch(/xborder_emergency_stop\{[^}]*\}\) == 1/);
    expect(alert('XborderPolicyDivergence').expr).toMatch(/xborder_replica_policy_revisions\{[^}]*\}\) > 1/);
    expect(alert('XborderFilingExpiring').expr).toMatch(/xborder_filing_expiry_days\{[^}]*\}\) < 30/);
    expect(alert('XborderGatewayDown').expr).toBe('up{job="xborder"} == 0');
    for (const a of alerts) {
      expect(['info', 'warning', 'critical'], a.alert).toContain(a.labels.severity);
      expect(a.annotations.summary, a.alert).toBeTruthy();
      expect(a.annotations.description, a.alert).toBeTruthy();
      expect(a.for ?? '0m', a.alert).toMatch(/^\d+[smh]$/);
    }
    expect(new Set(alerts.map((a) => a.alert)).size).toBe(alerts.length);
  });

  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!promtool) console.warn('promtool is not on PATH: the rules unit tests (deploy/prometheus/xborder-rules.test.yaml) are skipped (apt-get install prometheus)');
  it.skipIf(!promtool)('the rules pass promtool check and their own unit tests', () => {
    const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8', timeout: 60_000 });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const test = spawnSync('promtool', ['test', 'rules', RULES_TEST], { encoding: 'utf8', timeout: 60_000 });
    expect(test.status, test.stdout + test.stderr).toBe(0);
    // The rules test uses the same names as the files it tests.
    const testMetrics = new Set(readFileSync(RULES_TEST, 'utf8').match(/\bxborder_[a-z0-9_]+/g) ?? []);
    for (const n of testMetrics) expect(CONTRACT, n).toContain(n);
  });
});
