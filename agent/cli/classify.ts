/**
 * `xborder classify --route ID FILE`: the dry run a data engineer runs before wiring a pipeline.
 * The same stages as the data plane (pipeline.ts `inspect`), with the store only peeked at: it
 * prints the field catalog, the subjects, the counters each would touch and the decision it would
 * make now, and counts nothing, records nothing, sends nothing. Values are never printed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { systemClock } from '../clock.js';
import { loadConfig, type Config } from '../config/load.js';
import { openStoreIfExists } from '../count/store/index.js';
import type { CounterStore } from '../count/store/types.js';
import { XbError } from '../errors.js';
import { loadIdentityKey, type IdentityKey } from '../identify/key.js';
import { citeShort } from '../observability/decision-line.js';
import { inspect, type Inspection } from '../pipeline.js';
import { compilePolicy } from '../policy/compile.js';
import { loadPacks } from '../policy/load.js';
import { loadFingerprints } from '../gateway.js';
import { buildSnapshot, type RouteRuntime } from '../policy/snapshot.js';
import { BY_EXTENSION } from './file-types.js';

export async function classifyCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { route: { type: 'string' }, config: { type: 'string', short: 'c' }, type: { type: 'string' }, json: { type: 'boolean' } },
  });
  const file = positionals[0];
  if (!values.route || !file) {
    process.stderr.write('usage: xborder classify --route ID [--config FILE] [--type MEDIA-TYPE] [--json] FILE\n');
    return 2;
  }
  const loaded = loadConfig(values.config ?? 'xborder.yaml');
  const policy = compilePolicy(loadPacks(loaded.config.policy.dir));
  if (!loaded.config.routes.some((r) => r.id === values.route))
    throw new XbError('XB_ROUTE_NOT_FOUND', `no route ${values.route}; configured: ${loaded.config.routes.map((r) => r.id).join(', ')}`);
  const contentType = values.type ?? BY_EXTENSION[extname(file).toLowerCase()];
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    process.stderr.write(`xborder classify: ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 1;
  }
  const { identity, ephemeral } = dryRunKey(loaded.config);
  const existing = await openStoreIfExists(loaded.config.store);
  const store = existing ?? emptyStore;
  try {
    // Registered fingerprints match only under the key they were registered with.
    const snapshot = buildSnapshot(loaded, policy, existing && !ephemeral ? await loadFingerprints(existing, identity.key) : undefined);
    const route = snapshot.routes.get(values.route) as RouteRuntime;
    const result = await inspect({ bytes, contentType, contentEncoding: undefined }, route, snapshot, { store, identity, log: pino({ level: 'silent' }) }, 'dry-run', systemClock.now(), 'peek');
    const report = describe(result, route, bytes.length, ephemeral);
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * The configured identity key, so persons match the counts already stored; without one (nothing
 * has been counted yet), an ephemeral key: a dry run never writes a key file.
 */
function dryRunKey(config: Config): { identity: IdentityKey; ephemeral: boolean } {
  const src = config.identity.key;
  const configured = src.file !== undefined || (src.env !== undefined && Boolean(process.env[src.env])) || existsSync(src.generatedFile);
  if (configured) return { identity: loadIdentityKey(src), ephemeral: false };
  return { identity: { key: randomBytes(32), fingerprint: 'ephemeral', source: 'ephemeral' }, ephemeral: true };
}

/** A store with nobody in it, for a gateway that has never counted. */
const emptyStore: CounterStore = {
  kind: 'embedded',
  checkAndAdd: () => Promise.reject(new Error('a dry run never adds')),
  peek: async (_year, entries) => ({
    admitted: true,
    counters: entries.map((e) => ({ counter: e.counter, before: 0, added: new Set(e.members.map((m) => m.toString('hex'))).size, after: new Set(e.members.map((m) => m.toString('hex'))).size })),
  }),
  counts: async () => new Map(),
  sketch: async () => undefined,
  sketchNames: async () => [],
  daily: async () => new Map(),
  keyFingerprint: async () => undefined,
  checkKeyFingerprint: async () => undefined,
  close: async () => undefined,
};

interface Report {
  route: string;
  domain: string;
  scenario: string;
  bytes: number;
  records: number;
  catalog: { field: string; dataItem: string; name: string; via: string; subject: string; sensitive: string; occurrences: number }[];
  indicators: { domain: string; indicator: string; via: string }[];
  /** Low-confidence hits: shown for review, never counted. */
  findings: { detector: string; dataItem: string; field: string; reason: string; occurrences: number }[];
  subjects: { occurrences: number; distinct: number; sensitive: number; byBasis: Record<string, number> };
  counters: { counter: string; before: number; added: number; after: number }[];
  decision: { kind: string; reason: string; enforceWouldBlock: boolean; error: string | undefined; rules: { rule: string; obligation: string; threshold: string; citation: string; summary: string }[]; notices: { code: string; detail: string; citation: string }[] };
  keys: 'configured' | 'ephemeral';
}

function describe(r: Inspection, route: RouteRuntime, bytes: number, ephemeral: boolean): Report {
  const names = new Map([...route.domain.fieldNames.values(), ...route.domain.detectorItems.values()].map((d) => [d.id, d]));
  const catalog = new Map<string, Report['catalog'][number]>();
  for (const rec of r.classified?.records ?? [])
    for (const f of rec.fields) {
      const field = f.path.replace(/\[\d+\]/g, '[]');
      const id = `${field}|${f.dataItem}|${f.via}`;
      const row = catalog.get(id);
      if (row) row.occurrences++;
      else
        catalog.set(id, {
          field,
          dataItem: f.dataItem,
          name: names.get(f.dataItem)?.name.zh ?? f.dataItem,
          via: f.via,
          subject: f.subject ?? (f.via === 'detector' ? '(own)' : 'person'),
          sensitive: f.sensitive ?? 'no',
          occurrences: 1,
        });
    }
  const byBasis: Record<string, number> = {};
  for (const s of r.subjects?.subjects ?? []) byBasis[s.basis] = (byBasis[s.basis] ?? 0) + 1;
  return {
    route: route.id,
    domain: route.domain.ref,
    scenario: route.scenario,
    bytes,
    records: r.subjects?.recordCount ?? r.classified?.records.length ?? 0,
    catalog: [...catalog.values()].sort((a, b) => a.field.localeCompare(b.field)),
    indicators: (r.classified?.indicators ?? []).map((h) => ({ ...h })),
    findings: (r.classified?.findings ?? []).map((f) => ({ detector: f.detector, dataItem: f.dataItem, field: f.path.replace(/\[\d+\]/g, '[]'), reason: f.reason, occurrences: f.occurrences })),
    subjects: {
      occurrences: r.subjects?.subjects.length ?? 0,
      distinct: r.counted?.persons.length ?? 0,
      sensitive: r.subjects?.subjects.filter((s) => s.sensitive).length ?? 0,
      byBasis,
    },
    counters: (r.counted?.counters ?? []).map(({ counter, before, added, after }) => ({ counter, before, added, after })),
    decision: {
      kind: r.decision.kind,
      reason: r.decision.reason,
      enforceWouldBlock: r.decision.enforceWouldBlock,
      error: r.failure?.code,
      rules: r.decision.rules.map((c) => ({ rule: citeShort(c), obligation: c.obligation, threshold: c.threshold, citation: c.citation, summary: c.summary ?? '' })),
      notices: (r.decision.notices ?? []).map(({ code, detail, citation }) => ({ code, detail, citation })),
    },
    keys: ephemeral ? 'ephemeral' : 'configured',
  };
}

function render(r: Report): string {
  const out = [
    `route ${r.route} → ${r.domain}, scenario ${r.scenario}: ${r.records} records, ${r.bytes} bytes (dry run: nothing counted, recorded or sent)`,
    '',
    'field catalog',
    ...(r.catalog.length === 0 ? ['  (no personal information found)'] : []),
    ...r.catalog.map((c) => `  ${c.field.padEnd(36)} ${c.dataItem} (${c.name}) via ${c.via}, subject ${c.subject}${c.sensitive === 'no' ? '' : `, sensitive (${c.sensitive})`} ×${c.occurrences}`),
  ];
  if (r.indicators.length > 0) out.push('', 'important-data indicators', ...r.indicators.map((i) => `  ${i.domain}#${i.indicator} via ${i.via}`));
  if (r.findings.length > 0)
    out.push('', 'for review (low confidence, not counted)', ...r.findings.map((f) => `  ${f.field.padEnd(36)} ${f.detector} → ${f.dataItem}? (${f.reason}) ×${f.occurrences}`));
  out.push(
    '',
    `subjects: ${r.subjects.occurrences} found, ${r.subjects.distinct} distinct persons, ${r.subjects.sensitive} sensitive; keys by ${Object.entries(r.subjects.byBasis).map(([k, v]) => `${k} ${v}`).join(', ') || '—'}${r.keys === 'ephemeral' ? ' (ephemeral key: no identity key configured yet)' : ''}`,
    '',
    'counters',
    ...(r.counters.length === 0 ? ['  (none)'] : r.counters.map((c) => `  ${c.counter}: ${c.before} + ${c.added} new → ${c.after}`)),
    '',
    `decision: ${r.decision.kind} (${r.decision.reason}${r.decision.error ? `, ${r.decision.error}` : ''})${r.decision.enforceWouldBlock && r.decision.kind !== 'block' ? ' — enforce mode would block' : ''}`,
    ...r.decision.rules.map((x) => `  ${x.summary}`),
    ...r.decision.notices.map((x) => `  notice ${x.code}: ${x.detail} — ${x.citation}`),
  );
  return `${out.join('\n')}\n`;
}
