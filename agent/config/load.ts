/**
 * Read `xborder.yaml`: parse, validate against the schema, apply DEFAULTS, resolve paths against
 * the config file's folder. Every error at once, each with file, line and key path.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { XbError } from '../errors.js';
import { checkSchema, formatIssue, parseYaml, type SourceIssue } from '../yaml-source.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { DEFAULTS } from './defaults.js';
import { ConfigSchema, type RawConfig, type RawFiling, type RawRoute, type SecretSourceConfig } from './schema.js';

export interface Config {
  readonly file: string;
  readonly company: {
    name: string;
    regime: RawConfig['company']['regime'];
    ciio: boolean;
    sensitivityProfile: 'gbt45574' | 'gbt35273';
    adoptedLists: readonly { list: string; approval?: string | undefined }[];
  };
  readonly mode: 'enforce' | 'monitor';
  readonly gatewayId: string;
  readonly dataDir: string;
  readonly listen: { data: { host: string; port: number }; admin: { host: string; port: number } };
  readonly limits: { bodyBytes: number };
  readonly upstream: { connectTimeoutMs: number; headersTimeoutMs: number; bodyTimeoutMs: number };
  readonly store: { kind: 'embedded'; path: string };
  /** Where the HMAC key comes from; `generatedFile` is used (and created) when neither is set. */
  readonly identity: { key: SecretSourceConfig & { generatedFile: string } };
  readonly admin: { token: SecretSourceConfig & { generatedFile: string } };
  readonly evidence: { dir: string; fsync: 'always' | 'interval'; fsyncIntervalMs: number };
  readonly policy: { dir: string };
  readonly routes: readonly Required<RawRoute>[];
  readonly filings: readonly RawFiling[];
}

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
  const checked = checkSchema(ConfigSchema, parsed, shownFile);
  if (!checked.value) throw invalid(checked.issues);
  const raw = checked.value;
  const extra = checkRoutes(raw, shownFile, parsed.lineOf);
  if (extra.length > 0) throw invalid(extra);
  return { config: withDefaults(raw, path), lineOf: parsed.lineOf, shownFile };
}

export const invalid = (issues: SourceIssue[]): XbError =>
  new XbError('XB_CFG_INVALID', `config is invalid:\n${issues.map(formatIssue).join('\n')}`, { issues });

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
  });
  (raw.filings ?? []).forEach((f, i) => {
    if (f.expires < f.effective)
      issues.push({ file, line: lineOf(['filings', i, 'expires']), path: `filings[${i}].expires`, message: `expires ${f.expires} is before effective ${f.effective}` });
  });
  return issues;
}

function withDefaults(raw: RawConfig, path: string): Config {
  const base = dirname(path);
  const at = (p: string, from = base) => (isAbsolute(p) ? p : resolve(from, p));
  const dataDir = at(raw.dataDir ?? DEFAULTS.dataDir);
  const listen = (side: 'data' | 'admin') => ({
    host: raw.listen?.[side]?.host ?? DEFAULTS.listen[side].host,
    port: raw.listen?.[side]?.port ?? DEFAULTS.listen[side].port,
  });
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
    },
    mode: raw.mode ?? DEFAULTS.mode,
    gatewayId: raw.gatewayId ?? hostname().replace(/[^A-Za-z0-9_.-]/g, '-'),
    dataDir,
    listen: { data: listen('data'), admin: listen('admin') },
    limits: { bodyBytes: raw.limits?.bodyBytes ?? DEFAULTS.limits.bodyBytes },
    upstream: { ...DEFAULTS.upstream, ...raw.upstream },
    store: { kind: 'embedded', path: at(raw.store?.path ?? DEFAULTS.store.path, dataDir) },
    identity: { key: secret(raw.identity?.key, DEFAULTS.identity.keyEnv, DEFAULTS.identity.generatedKeyFile) },
    admin: { token: secret(raw.admin?.token, DEFAULTS.admin.tokenEnv, DEFAULTS.admin.generatedTokenFile) },
    evidence: {
      dir: at(raw.evidence?.dir ?? DEFAULTS.evidence.dir, dataDir),
      fsync: raw.evidence?.fsync ?? DEFAULTS.evidence.fsync,
      fsyncIntervalMs: raw.evidence?.fsyncIntervalMs ?? DEFAULTS.evidence.fsyncIntervalMs,
    },
    // Unset: the packs shipped with this xborder, wherever the config file lives.
    policy: { dir: raw.policy?.dir ? at(raw.policy.dir) : resolve(PACKAGE_ROOT, DEFAULTS.policy.dir) },
    routes: raw.routes.map((r) => ({
      ...r,
      contentType: r.contentType ?? DEFAULTS.route.contentType,
      recordRoot: r.recordRoot ?? DEFAULTS.route.recordRoot,
      failMode: r.failMode ?? DEFAULTS.route.failMode,
    })),
    filings: raw.filings ?? [],
  };
}
