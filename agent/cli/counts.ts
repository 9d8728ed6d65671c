/**
 * `xborder counts show` and `xborder counts rebuild`: the DPO's view of the year's counters (exact
 * persons, estimates, thresholds and the filings covering them, the dashboards' unions), and the
 * restore of the counters from evidence after a store loss (count/rebuild.ts). The store holds
 * person keys only, so nothing printed here can carry raw PI.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { counterStatus, policyCounters, type CounterStatus } from '../admin/counter-status.js';
import { chinaDay, chinaYear, systemClock } from '../clock.js';
import { loadConfig, type Config } from '../config/load.js';
import { rebuildCounts, type RebuildResult } from '../count/rebuild.js';
import { estimates, unionEstimate } from '../count/sketches.js';
import { openStore, openStoreIfExists } from '../count/store/index.js';
import { sketchName, type CounterStore } from '../count/store/types.js';
import { XbError } from '../errors.js';
import { loadIdentityKey, type IdentityKey } from '../identify/key.js';
import { compilePolicy } from '../policy/compile.js';
import { loadPacks } from '../policy/load.js';
import { buildSnapshot } from '../policy/snapshot.js';

const USAGE = `usage: xborder counts show [--config FILE] [--year YYYY] [--json]
       xborder counts rebuild [--config FILE] [--evidence DIR]... [--year YYYY] [--json]`;

/** `xborder counts show|rebuild`; exit 0, 1 on a refusal (thrown XbError), 2 on a usage error. */
export async function countsCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'show') return show(rest);
  if (sub === 'rebuild') return rebuild(rest);
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

/** `--year`, or undefined; throws a usage message for anything but four digits. */
function yearArg(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}$/.test(value)) throw new UsageError(`--year ${value}: expected a year, e.g. 2026`);
  return Number(value);
}

class UsageError extends Error {}

function usageFailed(err: unknown): number {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`xborder counts: ${err.message}\n${USAGE}\n`);
  return 2;
}

export interface CountsReport {
  year: number;
  store: string;
  /** The identity key fingerprint the year is pinned to (first 16 hex digits), or null before anything was counted. */
  keyFingerprint: string | null;
  /**
   * Every counter of the loaded policy, then any the store holds that the policy no longer names
   * (`kind` unknown); `routes`: the configured routes that count on it.
   */
  counters: (Omit<CounterStatus, 'kind'> & { kind: string; estimated: number; routes: string[] })[];
  unions: {
    routes: { route: string; month: string; estimated: number }[];
    recipients: { recipient: string; month: string; estimated: number }[];
    months: { month: string; estimated: number }[];
  };
}

async function show(args: readonly string[]): Promise<number> {
  let values;
  let year: number | undefined;
  try {
    ({ values } = parseArgs({ args: [...args], options: { config: { type: 'string', short: 'c' }, year: { type: 'string' }, json: { type: 'boolean' } } }));
    year = yearArg(values.year);
  } catch (err) {
    return usageFailed(err instanceof TypeError ? new UsageError(err.message) : err);
  }
  const loaded = loadConfig(values.config ?? 'xborder.yaml');
  const snapshot = buildSnapshot(loaded, compilePolicy(loadPacks(loaded.config.policy.dir)));
  const now = systemClock.now();
  const y = year ?? chinaYear(now);
  // A store that was never created has nobody in it; showing must not create it.
  const store = await openStoreIfExists(loaded.config.store);
  try {
    const report = await countsReport(store, y, snapshot, chinaDay(now), loaded.config.store.kind);
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderShow(report));
    return 0;
  } finally {
    await store?.close();
  }
}

/** Every counter of the policy (and any the store holds that the policy no longer names), with estimates and unions. */
async function countsReport(store: CounterStore | undefined, year: number, snapshot: ReturnType<typeof buildSnapshot>, day: string, kind: string): Promise<CountsReport> {
  const exact = store ? await store.counts(year) : new Map<string, number>();
  const policy = policyCounters(snapshot);
  const names = store ? await store.sketchNames(year) : [];
  const refs = [...policy.keys(), ...[...exact.keys()].filter((ref) => !policy.has(ref)).sort()];
  const unionNames = names.filter((n) => !n.startsWith('counter:')).sort();
  const est = store ? await estimates(store, year, [...refs.map(sketchName.counter), ...unionNames]) : new Map<string, number>();
  const counters = refs.map((ref) => {
    const c = policy.get(ref);
    const status = c ? counterStatus(c, exact.get(ref) ?? 0, snapshot, day) : { counter: ref, kind: 'unknown', exact: exact.get(ref) ?? 0, thresholds: [] as CounterStatus['thresholds'] };
    const routes = [...snapshot.routes.values()].filter((r) => r.counters.has(ref)).map((r) => r.id);
    return { ...status, estimated: est.get(sketchName.counter(ref)) ?? 0, routes };
  });
  const unions: CountsReport['unions'] = { routes: [], recipients: [], months: [] };
  const routesOfMonth = new Map<string, string[]>();
  for (const name of unionNames) {
    const estimated = est.get(name) ?? 0;
    // Route ids and recipient names may hold ':'; the month is always the last 7 characters.
    const m = /^(route|recipient):(.*):(\d{4}-\d{2})$/.exec(name);
    if (!m) continue;
    const [, what, who = '', month = ''] = m;
    if (what === 'recipient') unions.recipients.push({ recipient: who, month, estimated });
    else {
      unions.routes.push({ route: who, month, estimated });
      routesOfMonth.set(month, [...(routesOfMonth.get(month) ?? []), name]);
    }
  }
  // Every transfer goes by one route: a month's persons are the union of its route sketches.
  for (const [month, names] of [...routesOfMonth].sort()) unions.months.push({ month, estimated: store ? await unionEstimate(store, year, names) : 0 });
  const pinned = store ? await store.keyFingerprint(year) : undefined;
  return { year, store: kind, keyFingerprint: pinned ? pinned.slice(0, 16) : null, counters, unions };
}

const num = (n: number) => n.toLocaleString('en-US');

function renderShow(r: CountsReport): string {
  const out = [
    `counts of ${r.year} (China time), ${r.store} store, ${r.keyFingerprint ? `counted under key ${r.keyFingerprint}…` : 'nothing counted yet'}`,
    '',
  ];
  // The packs hold every FTZ's counters; the table shows those the routes count on and any with persons.
  const shown = r.counters.filter((c) => c.exact > 0 || c.routes.length > 0);
  const width = Math.max(7, ...shown.map((c) => c.counter.length));
  out.push(`${'counter'.padEnd(width)}  ${'kind'.padEnd(9)} ${'exact'.padStart(11)} ${'estimate'.padStart(11)}`);
  for (const c of shown) {
    out.push(`${c.counter.padEnd(width)}  ${c.kind.padEnd(9)} ${num(c.exact).padStart(11)} ${num(c.estimated).padStart(11)}`);
    for (const t of c.thresholds) {
      const state = t.reached ? 'REACHED' : `${(Math.round((t.utilization ?? 0) * 10_000) / 100).toFixed(2)}% of the way`;
      out.push(`    item ${t.item}: ${t.threshold} needs ${t.obligation} — ${state}, ${t.filing ? `covered by filing ${t.filing}` : 'no filing covers it'} (${t.citation})`);
    }
  }
  if (shown.length < r.counters.length) out.push(`(${r.counters.length - shown.length} more counters of the loaded packs: no persons, no route counts on them; --json lists every one)`);
  const section = (title: string, rows: string[]) => out.push('', title, ...(rows.length === 0 ? ['  (none)'] : rows));
  section('routes, per month (estimated persons)', r.unions.routes.map((u) => `  ${u.route} ${u.month}: ${num(u.estimated)}`));
  section('recipients, per month (estimated persons)', r.unions.recipients.map((u) => `  ${u.recipient} ${u.month}: ${num(u.estimated)}`));
  section('months (estimated persons, all routes)', r.unions.months.map((u) => `  ${u.month}: ${num(u.estimated)}`));
  return `${out.join('\n')}\n`;
}

async function rebuild(args: readonly string[]): Promise<number> {
  let values;
  let year: number | undefined;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { config: { type: 'string', short: 'c' }, evidence: { type: 'string', multiple: true }, year: { type: 'string' }, json: { type: 'boolean' } },
    }));
    year = yearArg(values.year);
  } catch (err) {
    return usageFailed(err instanceof TypeError ? new UsageError(err.message) : err);
  }
  const { config } = loadConfig(values.config ?? 'xborder.yaml');
  const identity = configuredKey(config);
  const dirs = values.evidence && values.evidence.length > 0 ? values.evidence : [config.evidence.dir];
  const store = await openStore(config.store);
  let result: RebuildResult;
  try {
    result = await rebuildCounts(store, { dirs, keyFingerprint: identity.fingerprint, year });
  } finally {
    await store.close();
  }
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : renderRebuild(result, year));
  return 0;
}

/**
 * The identity key the evidence was counted with. Never generated here: a new key would match
 * nobody in the evidence, and a rebuild must not leave a key file behind.
 */
function configuredKey(config: Config): IdentityKey {
  const src = config.identity.key;
  const configured = src.file !== undefined || (src.env !== undefined && Boolean(process.env[src.env])) || existsSync(src.generatedFile);
  if (!configured)
    throw new XbError('XB_KEY_INVALID', `no identity key: set identity.key (file or env ${src.env ?? ''}) or keep ${src.generatedFile}; the rebuild needs the key the evidence was counted with`);
  return loadIdentityKey(src);
}

function renderRebuild(r: RebuildResult, year: number | undefined): string {
  const out = [`evidence verified: ${r.chains.map((c) => `${c.chain} (${num(c.records)} records)`).join(', ')}`];
  if (r.years.length === 0) out.push(`no persons in the evidence${year !== undefined ? ` for ${year}` : ''}: nothing to rebuild`);
  for (const y of r.years) {
    out.push('', `${y.year}: persons of ${num(y.records)} record${y.records === 1 ? '' : 's'} restored`);
    const width = Math.max(7, ...y.counters.map((c) => c.counter.length));
    out.push(`  ${'counter'.padEnd(width)}  ${'exact'.padStart(11)} ${'in evidence'.padStart(11)} ${'re-added'.padStart(11)}`);
    for (const c of y.counters) out.push(`  ${c.counter.padEnd(width)}  ${num(c.exact).padStart(11)} ${num(c.evidence).padStart(11)} ${num(c.added).padStart(11)}`);
    // More in the store than in the evidence read: chains not given (other replicas), or counted since.
    if (y.counters.some((c) => c.exact > c.evidence))
      out.push('  the store holds persons these chains do not name: other gateways\' chains (pass each with --evidence), or transfers counted since the rebuild read them');
  }
  return `${out.join('\n')}\n`;
}
