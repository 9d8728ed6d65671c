/**
 * Read `xborder.yaml`: parse, validate against the schema, apply DEFAULTS, resolve paths against
 * the config file's folder. Every error at once, each with file, line and key path.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { XbError } from '../errors.js';
import { MEDIA_TYPES, formatOf } from '../parse/media-type.js';
import { checkSchema, formatIssue, keyPath, parseYaml, type ParsedYaml, type SourceIssue } from '../yaml-source.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { checkCaller } from '../pull/callers.js';
import { DEFAULT_CALLER_HEADER, type RawCaller } from '../pull/schema.js';
import type { UpstreamPool, UpstreamTimeouts, UpstreamTlsFiles } from '../forward/settings.js';
import { checkMatchConfig, routeMatch, type RouteMatchConfig } from '../proxy/match.js';
import { DEFAULTS } from './defaults.js';
import { ConfigSchema, type Exemption, type RawAlertSink, type RawConfig, type RawFiling, type RawRoute, type SecretSourceConfig } from './schema.js';

export interface Config {
  readonly file: string;
  readonly company: {
    name: string;
    regime: RawConfig['company']['regime'];
    ciio: boolean;
    sensitivityProfile: 'gbt45574' | 'gbt35273';
    adoptedLists: readonly { list: string; approval?: string | undefined }[];
    personsHeld: { personalInformation: number; sensitive: number; accountsOrMedical: number };
  };
  readonly mode: 'enforce' | 'monitor';
  /** Share of a counter's next uncovered threshold at which transfers are flagged. */
  readonly alertLevel: number;
  readonly gatewayId: string;
  readonly dataDir: string;
  readonly listen: { data: DataListenConfig; admin: { host: string; port: number } };
  readonly limits: { memoryBytes: number; spoolBytes: number; bodyBytes: number; decompressedBytes: number; maxRatio: number; multipartParts: number };
  readonly upstream: { connectTimeoutMs: number; headersTimeoutMs: number; bodyTimeoutMs: number };
  readonly store: StoreConfig;
  /** Where the HMAC key comes from; `generatedFile` is used (and created) when neither is set. */
  readonly identity: { key: SecretSourceConfig & { generatedFile: string } };
  readonly admin: { token: SecretSourceConfig & { generatedFile: string } };
  readonly evidence: {
    dir: string;
    fsync: 'always' | 'interval';
    fsyncIntervalMs: number;
    segmentBytes: number;
    retentionYears: number;
    /** Ed25519 private key file (PEM) signing export bundles; the default one is generated on first export. */
    signingKeyFile: string;
  };
  readonly policy: { dir: string };
  readonly routes: readonly RouteConfig[];
  readonly filings: readonly RawFiling[];
  readonly alerts: AlertsConfig;
  /** Forward-proxy mode (agent/proxy/); undefined: no proxy listener. */
  readonly proxy: ProxyConfig | undefined;
}

/** `proxy` with defaults applied; CA files made absolute (docs/proxy.md). */
export interface ProxyConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly passthrough: readonly string[];
  readonly tunnelOnly: readonly string[];
  readonly ca: { readonly cert: string; readonly key: string } | undefined;
  readonly leafCacheSize: number;
  readonly leafLifetimeHours: number;
  readonly resolveTimeoutMs: number;
}

/** The data plane's listener with its limits (docs/proxy-limits.md); every value in ms, bytes or a count. */
export interface DataListenConfig {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  readonly maxHeaderBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly drainTimeoutMs: number;
}

/** `alerts` with defaults applied (agent/alerts/, docs/alerts.md). */
export interface AlertsConfig {
  /** Ascending, distinct, each in (0, 1]. */
  readonly levels: readonly number[];
  /** Descending, distinct calendar days. */
  readonly filingDays: readonly number[];
  readonly sinks: readonly AlertSinkConfig[];
  readonly retry: { readonly initialMs: number; readonly maxMs: number; readonly attempts: number };
  readonly timeoutMs: number;
  readonly storeFailureIntervalMs: number;
  /** The state file: fired keys and the pending-send queue. */
  readonly stateFile: string;
}

/** One sink; `url` is either the URL or where to read it (a file path made absolute, or an env variable). */
export interface AlertSinkConfig {
  readonly id: string;
  readonly kind: RawAlertSink['kind'];
  readonly url: string | SecretSourceConfig;
  readonly secret: SecretSourceConfig | undefined;
}

export type StoreConfig =
  | { readonly kind: 'embedded'; readonly path: string }
  | {
      readonly kind: 'redis';
      readonly url: string | undefined;
      readonly cluster: readonly string[] | undefined;
      readonly sentinel: { readonly name: string; readonly sentinels: readonly string[] } | undefined;
      readonly password: SecretSourceConfig | undefined;
      readonly keyPrefix: string;
      readonly timeoutMs: number;
      readonly waitReplicas: number;
    };

/** A route with defaults applied; `accept` and `protobuf` stay optional, `protobuf.files` are absolute. */
export type RouteConfig = Omit<Required<RawRoute>, 'accept' | 'csv' | 'protobuf' | 'exemption' | 'recipient' | 'direction' | 'callers' | 'callerHeader' | 'upstreamTls' | 'timeouts' | 'limits' | 'pool' | 'match'> & {
  /** Forward-proxy match with defaults (agent/proxy/match.ts): hosts canonical, the upstream's host and base path when unset. */
  readonly match: RouteMatchConfig;
  /** Upstream TLS files made absolute (agent/forward/settings.ts reads them with the snapshot). */
  readonly upstreamTls: UpstreamTlsFiles | undefined;
  /** The route's upstream timeouts, each defaulting to the global `upstream` one. */
  readonly timeouts: UpstreamTimeouts;
  readonly pool: UpstreamPool;
  /** Largest request body on this route; undefined: `limits.spoolBytes`. */
  readonly maxBodyBytes: number | undefined;
  /** push routes: as configured; pull routes: their first caller (each pull names its own). */
  readonly recipient: { readonly name: string; readonly country: string };
  /** undefined: push. */
  readonly direction: 'push' | 'pull' | undefined;
  /** pull routes: the callers (key files made absolute); push routes: undefined. */
  readonly callers: readonly RawCaller[] | undefined;
  /** pull routes: the API key header, lower case; push routes: undefined. */
  readonly callerHeader: string | undefined;
  readonly exemption: Exemption | undefined;
  readonly accept: readonly string[] | undefined;
  readonly csv: { readonly delimiter: string; readonly charset: NonNullable<RawRoute['csv']>['charset'] };
  readonly protobuf: { readonly files: readonly string[]; readonly messageType: string } | undefined;
};

export interface LoadedConfig {
  readonly config: Config;
  /** Line of a key path in the file, for errors found after the schema (e.g. an unknown domain). */
  readonly lineOf: (segments: readonly (string | number)[]) => number;
  readonly shownFile: string;
}

/** Load and validate a config file; throws XB_CFG_NOT_FOUND or XB_CFG_INVALID (all issues listed). */
export function loadConfig(file: string): LoadedConfig {
  const path = resolve(file);
  const shownFile = relative(process.cwd(), path) || path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new XbError('XB_CFG_NOT_FOUND', `config file ${shownFile} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const { parsed, issues } = parseYaml(text, shownFile);
  if (!parsed) throw invalid(issues);
  const renamed = renamedKeys(parsed, shownFile);
  const checked = checkSchema(ConfigSchema, parsed, shownFile);
  // A renamed key is reported once, with its new name, not also as an unknown key.
  const schemaIssues = checked.issues.filter((i) => !renamed.some((r) => r.path === i.path));
  if (renamed.length > 0 || !checked.value) throw invalid([...renamed, ...schemaIssues].sort((a, b) => a.line - b.line));
  const raw = checked.value;
  const extra = [...checkRoutes(raw, shownFile, parsed.lineOf), ...checkStore(raw, shownFile, parsed.lineOf), ...checkAlerts(raw, shownFile, parsed.lineOf), ...checkProxy(raw, shownFile, parsed.lineOf)];
  if (extra.length > 0) throw invalid(extra);
  return { config: withDefaults(raw, path), lineOf: parsed.lineOf, shownFile };
}

export const invalid = (issues: SourceIssue[]): XbError =>
  new XbError('XB_CFG_INVALID', `config is invalid:\n${issues.map(formatIssue).join('\n')}`, { issues });

/** Keys that were renamed: `routes[].contentType` → `accept` (issue 4). */
function renamedKeys(parsed: ParsedYaml, file: string): SourceIssue[] {
  const routes = (parsed.value as { routes?: unknown } | null)?.routes;
  if (!Array.isArray(routes)) return [];
  return routes.flatMap((r: unknown, i) =>
    typeof r === 'object' && r !== null && Object.prototype.hasOwnProperty.call(r, 'contentType')
      ? [{ file, line: parsed.lineOf(['routes', i, 'contentType']), path: `routes[${i}].contentType`, message: 'renamed: use accept instead, a list of media types (e.g. [application/json])' }]
      : [],
  );
}

function checkRoutes(raw: RawConfig, file: string, lineOf: LoadedConfig['lineOf']): SourceIssue[] {
  const issues: SourceIssue[] = [];
  const seen = new Set<string>();
  raw.routes.forEach((r, i) => {
    if (seen.has(r.id)) issues.push({ file, line: lineOf(['routes', i, 'id']), path: `routes[${i}].id`, message: `duplicate route id ${r.id}` });
    seen.add(r.id);
    try {
      new URL(r.upstream);
    } catch {
      issues.push({ file, line: lineOf(['routes', i, 'upstream']), path: `routes[${i}].upstream`, message: `not a URL: ${r.upstream}` });
    }
    const at = (segments: (string | number)[], message: string) =>
      issues.push({ file, line: lineOf(['routes', i, ...segments]), path: keyPath(['routes', i, ...segments]), message });
    r.accept?.forEach((type, j) => {
      const format = formatOf(type);
      if (!format) at(['accept', j], `${type} cannot be inspected; inspected types: ${[...MEDIA_TYPES.keys()].join(', ')}, and any application/…+json`);
      else if (format === 'protobuf' && !r.protobuf) at(['accept', j], `${type} needs routes[${i}].protobuf (files and messageType)`);
    });
    // A push route names its recipient; a pull route's recipients are its callers (docs/pull-mode.md).
    if ((r.direction ?? 'push') === 'push') {
      if (!r.recipient) at(['id'], `route ${r.id} needs recipient (name, country)`);
      for (const key of ['callers', 'callerHeader'] as const) if (r[key] !== undefined) at([key], 'only for direction: pull');
    } else {
      if (r.recipient) at(['recipient'], 'a pull route names no recipient: its callers are the recipients of what they pull');
      if (!r.callers) at(['id'], `pull route ${r.id} needs callers (name, country, and apiKey, apiKeySha256 or networks)`);
      r.callers?.forEach((c, j) => checkCaller(c).forEach((x) => at(['callers', j, ...x.key], x.message)));
    }
    // Upstream TLS only for https, a client certificate with its key, a route's body limit within spoolBytes.
    if (r.upstreamTls && !r.upstream.startsWith('https://')) at(['upstreamTls'], 'upstream TLS settings need an https:// upstream');
    if (r.upstreamTls && (r.upstreamTls.cert === undefined) !== (r.upstreamTls.key === undefined))
      at(['upstreamTls', r.upstreamTls.cert === undefined ? 'cert' : 'key'], 'a client certificate needs both cert and key');
    const spoolBytes = raw.limits?.spoolBytes ?? DEFAULTS.limits.spoolBytes;
    if (r.limits?.maxBodyBytes !== undefined && r.limits.maxBodyBytes > spoolBytes)
      at(['limits', 'maxBodyBytes'], `${r.limits.maxBodyBytes} is above limits.spoolBytes (${spoolBytes}), the largest body accepted at all`);
    const delimiter = r.csv?.delimiter;
    if (delimiter === '"' || delimiter === '\r' || delimiter === '\n') at(['csv', 'delimiter'], 'a CSV delimiter cannot be a quote or a line break');
  });
  (raw.filings ?? []).forEach((f, i) => {
    if (f.expires < f.effective)
      issues.push({ file, line: lineOf(['filings', i, 'expires']), path: `filings[${i}].expires`, message: `expires ${f.expires} is before effective ${f.effective}` });
  });
  return issues;
}

/** embedded takes a path only; redis exactly one of url, cluster, sentinel. */
function checkStore(raw: RawConfig, file: string, lineOf: LoadedConfig['lineOf']): SourceIssue[] {
  const store = raw.store;
  if (!store) return [];
  const issue = (key: string, message: string): SourceIssue => ({ file, line: lineOf(['store', key]), path: `store.${key}`, message });
  const redisKeys = (['url', 'cluster', 'sentinel', 'password', 'keyPrefix', 'timeoutMs', 'waitReplicas'] as const).filter((k) => store[k] !== undefined);
  if (store.kind === 'embedded') return redisKeys.map((k) => issue(k, `only for store.kind redis; the embedded store takes store.path`));
  const issues: SourceIssue[] = [];
  if (store.path !== undefined) issues.push(issue('path', 'only for store.kind embedded; a redis store is reached by url, cluster or sentinel'));
  const where = (['url', 'cluster', 'sentinel'] as const).filter((k) => store[k] !== undefined);
  // WAIT has no key, so a Cluster client cannot send it to the shard that took the writes.
  if (store.cluster !== undefined && (store.waitReplicas ?? 0) > 0) issues.push(issue('waitReplicas', 'not supported with store.cluster; use AOF on every shard'));
  if (where.length !== 1) issues.push(issue(where[1] ?? 'kind', `store.kind redis needs exactly one of url, cluster, sentinel${where.length > 1 ? ` (found ${where.join(', ')})` : ''}`));
  return issues;
}

/** Sink ids unique; a URL given inline parses; `secret` exactly where the sink can sign; retry.maxMs ≥ initialMs. */
function checkAlerts(raw: RawConfig, file: string, lineOf: LoadedConfig['lineOf']): SourceIssue[] {
  const alerts = raw.alerts;
  if (!alerts) return [];
  const issues: SourceIssue[] = [];
  const at = (segments: (string | number)[], message: string) => issues.push({ file, line: lineOf(['alerts', ...segments]), path: keyPath(['alerts', ...segments]), message });
  const seen = new Set<string>();
  (alerts.sinks ?? []).forEach((s, i) => {
    const id = sinkId(s, i);
    if (seen.has(id)) at(['sinks', i, s.id === undefined ? 'kind' : 'id'], `duplicate sink id ${id}`);
    seen.add(id);
    if (typeof s.url === 'string') {
      if (!/^https?:\/\/./.test(s.url) || !URL.canParse(s.url)) at(['sinks', i, 'url'], 'expected an http(s) URL, or { file } / { env } holding one');
    } else if ((s.url.file === undefined) === (s.url.env === undefined)) at(['sinks', i, 'url'], 'give exactly one of file, env');
    // A WeCom group robot has no signing: its key is in the URL (work.weixin.qq.com/api/doc/90000/90136/91770).
    if (s.kind === 'wecom' && s.secret !== undefined) at(['sinks', i, 'secret'], 'a WeCom robot is not signed; its key is part of the url');
    if (s.secret && (s.secret.file === undefined) === (s.secret.env === undefined)) at(['sinks', i, 'secret'], 'give exactly one of file, env');
  });
  const retry = alerts.retry;
  if (retry?.initialMs !== undefined && retry.maxMs !== undefined && retry.maxMs < retry.initialMs)
    at(['retry', 'maxMs'], `maxMs ${retry.maxMs} is below initialMs ${retry.initialMs}`);
  return issues;
}

/** Forward-proxy host patterns and route matches (agent/proxy/match.ts). */
function checkProxy(raw: RawConfig, file: string, lineOf: LoadedConfig['lineOf']): SourceIssue[] {
  return checkMatchConfig(raw.routes, raw.proxy?.passthrough ?? [], raw.proxy?.tunnelOnly ?? []).map((x) => ({ file, line: lineOf(x.at), path: keyPath(x.at), message: x.message }));
}

const sinkId = (s: RawAlertSink, i: number): string => s.id ?? `${s.kind}-${i}`;

function withDefaults(raw: RawConfig, path: string): Config {
  const base = dirname(path);
  const at = (p: string, from = base) => (isAbsolute(p) ? p : resolve(from, p));
  const dataDir = at(raw.dataDir ?? DEFAULTS.dataDir);
  const listen = (side: 'data' | 'admin') => ({
    host: raw.listen?.[side]?.host ?? DEFAULTS.listen[side].host,
    port: raw.listen?.[side]?.port ?? DEFAULTS.listen[side].port,
  });
  const upstream = { ...DEFAULTS.upstream, ...raw.upstream };
  const secret = (s: SecretSourceConfig | undefined, env: string, generated: string) => ({
    ...(s?.file ? { file: at(s.file) } : {}),
    env: s?.env ?? env,
    generatedFile: at(generated, dataDir),
  });
  return {
    file: path,
    company: {
      name: raw.company.name,
      regime: raw.company.regime,
      ciio: raw.company.ciio ?? DEFAULTS.company.ciio,
      sensitivityProfile: raw.company.sensitivityProfile ?? DEFAULTS.company.sensitivityProfile,
      adoptedLists: raw.company.adoptedLists ?? [],
      personsHeld: { personalInformation: 0, sensitive: 0, accountsOrMedical: 0, ...raw.company.personsHeld },
    },
    mode: raw.mode ?? DEFAULTS.mode,
    alertLevel: raw.alertLevel ?? DEFAULTS.alertLevel,
    gatewayId: raw.gatewayId ?? hostname().replace(/[^A-Za-z0-9_.-]/g, '-'),
    dataDir,
    listen: { data: { ...DEFAULTS.listen.data, ...raw.listen?.data }, admin: listen('admin') },
    limits: {
      memoryBytes: raw.limits?.memoryBytes ?? DEFAULTS.limits.memoryBytes,
      spoolBytes: raw.limits?.spoolBytes ?? DEFAULTS.limits.spoolBytes,
      bodyBytes: raw.limits?.bodyBytes ?? DEFAULTS.limits.bodyBytes,
      decompressedBytes: raw.limits?.decompressedBytes ?? DEFAULTS.limits.decompressedBytes,
      maxRatio: raw.limits?.maxRatio ?? DEFAULTS.limits.maxRatio,
      multipartParts: raw.limits?.multipartParts ?? DEFAULTS.limits.multipartParts,
    },
    upstream,
    store:
      raw.store?.kind === 'redis'
        ? {
            kind: 'redis',
            url: raw.store.url,
            cluster: raw.store.cluster,
            sentinel: raw.store.sentinel,
            password: raw.store.password?.file ? { ...raw.store.password, file: at(raw.store.password.file) } : raw.store.password,
            keyPrefix: raw.store.keyPrefix ?? DEFAULTS.store.keyPrefix,
            timeoutMs: raw.store.timeoutMs ?? DEFAULTS.store.timeoutMs,
            waitReplicas: raw.store.waitReplicas ?? 0,
          }
        : { kind: 'embedded', path: at(raw.store?.path ?? DEFAULTS.store.path, dataDir) },
    identity: { key: secret(raw.identity?.key, DEFAULTS.identity.keyEnv, DEFAULTS.identity.generatedKeyFile) },
    admin: { token: secret(raw.admin?.token, DEFAULTS.admin.tokenEnv, DEFAULTS.admin.generatedTokenFile) },
    evidence: {
      dir: at(raw.evidence?.dir ?? DEFAULTS.evidence.dir, dataDir),
      fsync: raw.evidence?.fsync ?? DEFAULTS.evidence.fsync,
      fsyncIntervalMs: raw.evidence?.fsyncIntervalMs ?? DEFAULTS.evidence.fsyncIntervalMs,
      segmentBytes: raw.evidence?.segmentBytes ?? DEFAULTS.evidence.segmentBytes,
      retentionYears: raw.evidence?.retentionYears ?? DEFAULTS.evidence.retentionYears,
      signingKeyFile: at(raw.evidence?.signingKey?.file ?? DEFAULTS.evidence.generatedSigningKeyFile, dataDir),
    },
    // Unset: the packs shipped with this xborder, wherever the config file lives.
    policy: { dir: raw.policy?.dir ? at(raw.policy.dir) : resolve(PACKAGE_ROOT, DEFAULTS.policy.dir) },
    routes: raw.routes.map((r) => ({
      ...r,
      accept: r.accept,
      exemption: r.exemption,
      direction: r.direction,
      recipient: r.recipient ?? { name: r.callers?.[0]?.name ?? '', country: r.callers?.[0]?.country ?? '' },
      callers: r.callers?.map((c) => (c.apiKey?.file ? { ...c, apiKey: { file: at(c.apiKey.file) } } : c)),
      callerHeader: r.direction === 'pull' ? (r.callerHeader ?? DEFAULT_CALLER_HEADER).toLowerCase() : undefined,
      recordRoot: r.recordRoot ?? DEFAULTS.route.recordRoot,
      failMode: r.failMode ?? DEFAULTS.route.failMode,
      csv: { delimiter: r.csv?.delimiter ?? DEFAULTS.route.csv.delimiter, charset: r.csv?.charset },
      protobuf: r.protobuf ? { files: r.protobuf.files.map((f) => at(f)), messageType: r.protobuf.messageType } : undefined,
      upstreamTls: r.upstreamTls
        ? { ...r.upstreamTls, ca: r.upstreamTls.ca && at(r.upstreamTls.ca), cert: r.upstreamTls.cert && at(r.upstreamTls.cert), key: r.upstreamTls.key && at(r.upstreamTls.key) }
        : undefined,
      timeouts: {
        connectMs: r.timeouts?.connectMs ?? upstream.connectTimeoutMs,
        headersMs: r.timeouts?.headersMs ?? upstream.headersTimeoutMs,
        bodyMs: r.timeouts?.bodyMs ?? upstream.bodyTimeoutMs,
      },
      pool: { ...DEFAULTS.route.pool, ...r.pool },
      maxBodyBytes: r.limits?.maxBodyBytes,
      retries: r.retries ?? DEFAULTS.route.retries,
      forwardedHeaders: r.forwardedHeaders ?? DEFAULTS.route.forwardedHeaders,
      match: routeMatch(r),
    })),
    filings: raw.filings ?? [],
    alerts: {
      levels: [...new Set(raw.alerts?.levels ?? DEFAULTS.alerts.levels)].sort((a, b) => a - b),
      filingDays: [...new Set(raw.alerts?.filingDays ?? DEFAULTS.alerts.filingDays)].sort((a, b) => b - a),
      sinks: (raw.alerts?.sinks ?? []).map((s, i) => {
        const source = (src: SecretSourceConfig) => (src.file ? { file: at(src.file) } : { env: src.env });
        return { id: sinkId(s, i), kind: s.kind, url: typeof s.url === 'string' ? s.url : source(s.url), secret: s.secret ? source(s.secret) : undefined };
      }),
      retry: { ...DEFAULTS.alerts.retry, ...raw.alerts?.retry },
      timeoutMs: raw.alerts?.timeoutMs ?? DEFAULTS.alerts.timeoutMs,
      storeFailureIntervalMs: raw.alerts?.storeFailureIntervalMs ?? DEFAULTS.alerts.storeFailureIntervalMs,
      stateFile: join(at(DEFAULTS.alerts.stateDir, dataDir), `${raw.gatewayId ?? hostname().replace(/[^A-Za-z0-9_.-]/g, '-')}.json`),
    },
    proxy: raw.proxy
      ? {
          listen: { host: raw.proxy.listen?.host ?? DEFAULTS.proxy.listen.host, port: raw.proxy.listen?.port ?? DEFAULTS.proxy.listen.port },
          passthrough: raw.proxy.passthrough ?? [],
          tunnelOnly: raw.proxy.tunnelOnly ?? [],
          ca: raw.proxy.ca ? { cert: at(raw.proxy.ca.cert), key: at(raw.proxy.ca.key) } : undefined,
          leafCacheSize: raw.proxy.leafCacheSize ?? DEFAULTS.proxy.leafCacheSize,
          leafLifetimeHours: raw.proxy.leafLifetimeHours ?? DEFAULTS.proxy.leafLifetimeHours,
          resolveTimeoutMs: raw.proxy.resolveTimeoutMs ?? DEFAULTS.proxy.resolveTimeoutMs,
        }
      : undefined,
  };
}
