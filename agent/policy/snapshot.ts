/**
 * PolicySnapshot: the compiled policy joined with the config's routes and filings, every
 * reference resolved. Built once at start (and by reload, later); a transfer keeps the snapshot
 * it started with.
 */
import type { Config, LoadedConfig } from '../config/load.js';
import type { Exemption } from '../config/schema.js';
import { invalid } from '../config/load.js';
import type { Filing } from '../decide/filings.js';
import type { BodyLimits, CsvSettings, ParseOptions } from '../parse/index.js';
import { loadMessageType, type MessageType } from '../parse/protobuf.js';
import { compileRecordRoot, type RecordRoot } from '../parse/recordRoot.js';
import { loadUpstreamSettings, type UpstreamSettings } from '../forward/settings.js';
import { compileCallers, type PullRuntime } from '../pull/callers.js';
import { DEFAULT_CALLER_HEADER } from '../pull/schema.js';
import { keyPath, type SourceIssue } from '../yaml-source.js';
import type { RouteMatchConfig } from '../proxy/match.js';
import type { FingerprintIndex } from '../classify/fingerprints.js';
import { indexIndicators, type IndicatorIndex } from './indicators.js';
import type { CompiledPolicy, Counter, Domain, FloorRule, Rule } from './types.js';

/** The national rules' domain: data outside every listed domain, and a CIIO's obligations. */
export const NATIONAL_DOMAIN = 'cn-national/national';

/** A route as the pipeline uses it; its parse options are what parse/ reads (`parse(body, route)`). */
export interface RouteRuntime extends ParseOptions {
  readonly id: string;
  readonly upstream: URL;
  /** push: the recipient. pull: the first caller; each pull is decided for its own caller (agent/pull/). */
  readonly recipient: { readonly name: string; readonly country: string };
  /** undefined or push: request bodies are inspected; pull: responses are (docs/pull-mode.md). */
  readonly direction?: 'push' | 'pull' | undefined;
  /** pull routes: the callers and their API key header. */
  readonly pull?: PullRuntime | undefined;
  readonly domain: Domain;
  readonly scenario: string;
  /** Media types the route takes; undefined: every type parse/ inspects. */
  readonly accept: readonly string[] | undefined;
  readonly recordRoot: RecordRoot;
  readonly csv: CsvSettings;
  /** Loaded from `routes[].protobuf` when the snapshot is built. */
  readonly protobuf: MessageType | undefined;
  /** The config's `limits` as parse/ applies them. */
  readonly bodyLimits: BodyLimits;
  readonly failMode: 'closed' | 'open';
  /** The national rules' exemption the route relies on (decide/exemptions.ts), if any. */
  readonly exemption: Exemption | undefined;
  /** TLS material, timeouts, pool, retries, forwarding headers (agent/forward/settings.ts); unset: the forwarder's defaults. */
  readonly upstreamSettings?: UpstreamSettings | undefined;
  /** `routes[].limits.maxBodyBytes`: the route's largest request body (receive/ answers 413 above it). */
  readonly maxBodyBytes?: number | undefined;
  /** Forward-proxy mode: the hosts and path prefix this route inspects (agent/proxy/match.ts). */
  readonly match?: RouteMatchConfig | undefined;
  /** Every counter of the route's domain, by ref: what decide() reads rules from. */
  readonly counters: ReadonlyMap<string, Counter>;
  /**
   * Domains whose important-data rules apply to this route: its own, the regime's every-transfer
   * lists, and the national rules (Order 16 Art. 7 governs important data whatever the route).
   */
  readonly indicatorDomains: readonly Domain[];
  /** Their important-data rules on persons held (decide/ reads them for every transfer). */
  readonly floorRules: readonly FloorRule[];
  /** Their indicators, indexed for classify/, with the registered fingerprints (if any). */
  readonly indicators: IndicatorIndex & { readonly fingerprints?: FingerprintIndex | undefined };
}

export interface PolicySnapshot {
  readonly policy: CompiledPolicy;
  readonly routes: ReadonlyMap<string, RouteRuntime>;
  readonly filings: readonly Filing[];
  readonly mode: 'enforce' | 'monitor';
  /** A CIIO gets no relief from any FTZ list (Order 16 Art. 7(1)). */
  readonly ciio: boolean;
  /** The national rules' CIIO-only PI rules, applied to a CIIO's transfers on every route. */
  readonly ciioRules: readonly Rule[];
  readonly sensitivityProfile: 'gbt45574' | 'gbt35273';
  /** Share of a counter's next uncovered threshold at which transfers are flagged. */
  readonly alertLevel: number;
  /** Persons whose PI the company holds (the important-data floors). */
  readonly personsHeld: Config['company']['personsHeld'];
}

/**
 * Join config and policy; throws XB_CFG_INVALID naming the config line of each bad reference.
 * `fingerprints`: the registered important data (default none), matched on every route.
 */
export function buildSnapshot(loaded: LoadedConfig, policy: CompiledPolicy, fingerprints?: FingerprintIndex): PolicySnapshot {
  const { config, lineOf, shownFile } = loaded;
  const issues: SourceIssue[] = [];
  const issue = (segments: (string | number)[], path: string, message: string) =>
    issues.push({ file: shownFile, line: lineOf(segments), path, message });
  const known = [...policy.domains.values()].filter((d) => d.appliesTo === 'routes').map((d) => d.ref).join(', ');
  const routes = new Map<string, RouteRuntime>();
  const everyTransfer = policy.everyTransfer.get(config.company.regime) ?? [];
  const nationalDomain = policy.domains.get(NATIONAL_DOMAIN);
  config.routes.forEach((r, i) => {
    const domain = policy.domains.get(r.domain);
    const at = (key: string, message: string) => issue(['routes', i, key], `routes[${i}].${key}`, message);
    if (!domain) return at('domain', `no loaded pack has domain ${r.domain} (known: ${known})`);
    if (domain.appliesTo === 'every-transfer') return at('domain', `${r.domain} applies to every transfer by itself; a route names the list domain its data belongs to`);
    const refused = adoptionProblem(domain, loaded, policy);
    if (refused) return at('domain', refused);
    if (domain.scenarios && !domain.scenarios.has(r.scenario))
      return at('scenario', `${r.domain} has no scenario ${r.scenario} (known: ${[...domain.scenarios].join(', ')})`);
    let protobuf: MessageType | undefined;
    if (r.protobuf) {
      const loadedType = loadMessageType(r.protobuf.files, r.protobuf.messageType);
      if ('issue' in loadedType) {
        const segments = ['routes', i, 'protobuf', ...loadedType.issue.key];
        return issue(segments, keyPath(segments), loadedType.issue.message);
      }
      protobuf = loadedType.type;
    }
    let pull: PullRuntime | undefined;
    if (r.direction === 'pull') {
      const compiled = compileCallers(r.callers ?? [], r.callerHeader ?? DEFAULT_CALLER_HEADER);
      for (const x of compiled.issues) {
        const segments = ['routes', i, 'callers', ...x.key];
        issue(segments, keyPath(segments), x.message);
      }
      if (compiled.issues.length > 0) return;
      pull = compiled.pull;
    }
    const upstreamSettings = loadUpstreamSettings(r);
    if ('issue' in upstreamSettings) {
      const segments = ['routes', i, ...upstreamSettings.issue.key];
      return issue(segments, keyPath(segments), upstreamSettings.issue.message);
    }
    const counters = new Map([...domain.limited, domain.general, domain.sensitive].map((c) => [c.ref, c]));
    const national = nationalDomain && nationalDomain !== domain ? [nationalDomain] : [];
    const indicatorDomains = [domain, ...everyTransfer, ...national].filter((d) => d.indicatorRules.length > 0);
    // Fingerprint hits are the national domain's indicator: only where its rules apply.
    const matched = fingerprints && indicatorDomains.some((d) => d.ref === NATIONAL_DOMAIN) ? fingerprints : undefined;
    routes.set(r.id, {
      id: r.id,
      upstream: new URL(r.upstream),
      recipient: r.recipient,
      direction: r.direction,
      pull,
      domain,
      scenario: r.scenario,
      accept: r.accept,
      recordRoot: compileRecordRoot(r.recordRoot),
      csv: r.csv,
      protobuf,
      bodyLimits: { decompressedBytes: config.limits.decompressedBytes, maxRatio: config.limits.maxRatio, multipartParts: config.limits.multipartParts },
      failMode: r.failMode,
      exemption: r.exemption,
      upstreamSettings: upstreamSettings.settings,
      maxBodyBytes: r.maxBodyBytes,
      match: r.match,
      counters,
      indicatorDomains,
      floorRules: indicatorDomains.flatMap((d) => d.floorRules),
      indicators: { ...indexIndicators(indicatorDomains), fingerprints: matched },
    });
  });
  config.company.adoptedLists.forEach((a, i) => {
    if (![...policy.domains.values()].some((d) => d.list === a.list))
      issue(['company', 'adoptedLists', i, 'list'], `company.adoptedLists[${i}].list`, `no loaded pack has list ${a.list}`);
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
  const national = policy.domains.get(NATIONAL_DOMAIN);
  const ciioRules = national ? [national.general, national.sensitive].flatMap((c) => c.rules.filter((r) => r.companies === 'ciio')) : [];
  if (config.company.ciio && ciioRules.length === 0)
    issue(['company', 'ciio'], 'company.ciio', `a CIIO needs the national rules' CIIO items (pack list ${NATIONAL_DOMAIN}), and no loaded pack has them`);
  if (issues.length > 0) throw invalid(issues);
  return {
    policy,
    routes,
    filings: config.filings,
    mode: config.mode,
    ciio: config.company.ciio,
    ciioRules,
    sensitivityProfile: config.company.sensitivityProfile,
    alertLevel: config.alertLevel,
    personsHeld: config.company.personsHeld,
  };
}

/**
 * May the company use this domain's list? Its own regime's lists and the national rules, yes;
 * another zone's list only if adopted, as the company's own measures allow (Beijing: with an
 * approval reference). Returns why not, or undefined.
 */
function adoptionProblem(domain: Domain, loaded: LoadedConfig, policy: CompiledPolicy): string | undefined {
  const { company } = loaded.config;
  if (domain.regime === company.regime || domain.regime === 'cn-national') return undefined;
  const adopted = company.adoptedLists.find((a) => a.list === domain.list);
  if (!adopted) return `${domain.ref} is a ${domain.regime} list and company.regime is ${company.regime}; list it under company.adoptedLists to apply it by reference`;
  const rules = policy.regimes.get(company.regime);
  if (!rules) return `no regime pack describes ${company.regime}, so whether it may adopt ${domain.list} is unknown`;
  if (rules.adoption === 'not-allowed') return `${company.regime} does not allow adopting other zones' lists (${rules.adoptionCitation})`;
  if (rules.adoption === 'with-approval' && !adopted.approval)
    return `${company.regime} allows adopting ${domain.list} only after review: give company.adoptedLists[].approval (${rules.adoptionCitation})`;
  return undefined;
}
