/**
 * PolicySnapshot: the compiled policy joined with the config's routes and filings, every
 * reference resolved. Built once at start (and by reload, later); a transfer keeps the snapshot
 * it started with.
 */
import type { LoadedConfig } from '../config/load.js';
import { invalid } from '../config/load.js';
import type { Filing } from '../decide/filings.js';
import { compileRecordRoot, type RecordRoot } from '../parse/recordRoot.js';
import type { SourceIssue } from '../yaml-source.js';
import type { CompiledPolicy, Counter, Domain } from './types.js';

export interface RouteRuntime {
  readonly id: string;
  readonly upstream: URL;
  readonly recipient: { readonly name: string; readonly country: string };
  readonly domain: Domain;
  readonly scenario: string;
  readonly contentType: 'application/json';
  readonly recordRoot: RecordRoot;
  readonly failMode: 'closed' | 'open';
  /** Every counter of the route's domain, by ref: what decide() reads rules from. */
  readonly counters: ReadonlyMap<string, Counter>;
}

export interface PolicySnapshot {
  readonly policy: CompiledPolicy;
  readonly routes: ReadonlyMap<string, RouteRuntime>;
  readonly filings: readonly Filing[];
  readonly mode: 'enforce' | 'monitor';
}

/** Join config and policy; throws XB_CFG_INVALID naming the config line of each bad reference. */
export function buildSnapshot(loaded: LoadedConfig, policy: CompiledPolicy): PolicySnapshot {
  const { config, lineOf, shownFile } = loaded;
  const issues: SourceIssue[] = [];
  const issue = (segments: (string | number)[], path: string, message: string) =>
    issues.push({ file: shownFile, line: lineOf(segments), path, message });
  const known = [...policy.domains.keys()].join(', ');
  const routes = new Map<string, RouteRuntime>();
  config.routes.forEach((r, i) => {
    const domain = policy.domains.get(r.domain);
    if (!domain) return issue(['routes', i, 'domain'], `routes[${i}].domain`, `no loaded pack has domain ${r.domain} (known: ${known})`);
    if (domain.regime !== config.company.regime)
      return issue(['routes', i, 'domain'], `routes[${i}].domain`, `${r.domain} is a ${domain.regime} list, but company.regime is ${config.company.regime} (adopting another zone's list arrives with the policy-pack issue)`);
    if (!domain.scenarios.has(r.scenario))
      return issue(['routes', i, 'scenario'], `routes[${i}].scenario`, `${r.domain} has no scenario ${r.scenario} (known: ${[...domain.scenarios].join(', ')})`);
    const counters = new Map([...domain.limited, domain.general, domain.sensitive].map((c) => [c.ref, c]));
    routes.set(r.id, {
      id: r.id,
      upstream: new URL(r.upstream),
      recipient: r.recipient,
      domain,
      scenario: r.scenario,
      contentType: r.contentType,
      recordRoot: compileRecordRoot(r.recordRoot),
      failMode: r.failMode,
      counters,
    });
  });
  const lists = new Set([...policy.domains.values()].map((d) => d.list));
  config.filings.forEach((f, i) => {
    if (!lists.has(f.covers.list)) issue(['filings', i, 'covers', 'list'], `filings[${i}].covers.list`, `no loaded pack has list ${f.covers.list}`);
    f.covers.domains?.forEach((d, j) => {
      if (!policy.domains.has(`${f.covers.list}/${d}`))
        issue(['filings', i, 'covers', 'domains', j], `filings[${i}].covers.domains[${j}]`, `list ${f.covers.list} has no domain ${d}`);
    });
    const covered = [...policy.domains.values()].filter((d) => d.list === f.covers.list && (!f.covers.domains || f.covers.domains.includes(d.id)));
    f.covers.items?.forEach((n, j) => {
      if (covered.length > 0 && !covered.some((d) => d.items.has(n)))
        issue(['filings', i, 'covers', 'items', j], `filings[${i}].covers.items[${j}]`, `no item ${n} in the covered domains of ${f.covers.list}`);
    });
  });
  if (issues.length > 0) throw invalid(issues);
  return { policy, routes, filings: config.filings, mode: config.mode };
}
