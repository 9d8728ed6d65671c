/**
 * The labelled corpus (test/fixtures/corpus/, written by generate.mjs there): every file parsed by
 * parse/ as its content type says, with the route options a snapshot would build, classified with
 * the shipped packs compiled (the file's domain), and compared with its labels. Per detector:
 * true positives, false negatives, false positives, precision and recall, printed as a table.
 *
 * Asserted: recall 100% on checksum-valid identifiers (and on every labelled identifier); no
 * PiField anywhere that the labels do not expect — in particular none at a checksum-invalid or
 * otherwise look-alike value; the low-confidence findings exactly as labelled (unlabelled
 * passport shapes, card-shaped order numbers, lone individual-business codes, coordinates
 * outside China); at least 300 records; every content type parse/ reads present.
 *
 * An expected identifier is found when a PiField at its path carries its value (normalized as the
 * detector normalizes) with the detector's data item, or — a field whose name already says what
 * it holds — with a field-name item of the same kind (`shipperPhone` → shipper-contact, a contact
 * like a mobile number).
 */
import { isUtf8 } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../../agent/classify/index.js';
import { parse, type ParseOptions } from '../../../agent/parse/index.js';
import { loadMessageType, type MessageType } from '../../../agent/parse/protobuf.js';
import { compileRecordRoot } from '../../../agent/parse/recordRoot.js';
import { indexIndicators } from '../../../agent/policy/indicators.js';
import type { Detector } from '../../../agent/policy/schema.js';
import type { DataItem, Domain } from '../../../agent/policy/types.js';
import type { Classified, PiField } from '../../../agent/types.js';
import { PACKAGE_ROOT } from '../../../agent/package-root.js';
import { shippedPolicy } from '../support/policy.js';

const DIR = join(PACKAGE_ROOT, 'test', 'fixtures', 'corpus', 'files');

interface Expected {
  readonly detector: Detector;
  readonly path: string;
  readonly value: string;
}
interface Lookalike {
  readonly kind: string;
  readonly imitates: Detector;
  readonly path: string;
  readonly value: string;
}
interface ExpectedFinding {
  readonly detector: Detector;
  readonly path: string;
  readonly reason: string;
}
interface Labels {
  readonly file: string;
  readonly domain: string;
  readonly contentType: string;
  readonly onDate: string;
  readonly route: {
    readonly recordRoot: string;
    readonly csv?: { readonly delimiter?: string; readonly charset?: 'utf-8' | 'gbk' | 'gb18030' };
    readonly protobuf?: { readonly files: readonly string[]; readonly messageType: string };
  };
  readonly records: readonly { readonly index: number; readonly source: string; readonly expected: readonly Expected[]; readonly lookalikes: readonly Lookalike[]; readonly findings: readonly ExpectedFinding[] }[];
}

/** Identifiers whose check character or validation makes a miss a defect: recall must be 100%. */
const CHECKSUM_VALID: readonly Detector[] = ['resident-id', 'bank-card', 'mobile', 'email', 'uscc-92', 'coordinates'];

/** The value as the detector reports it, for comparing a field-name PiField's raw value too. */
function normalize(detector: Detector, value: string): string {
  switch (detector) {
    case 'mobile':
      return value.replace(/\D/g, '').slice(-11);
    case 'bank-card':
    case 'bank-account':
    case 'landline':
      return value.replace(/\D/g, '');
    case 'email':
      return value.trim().toLowerCase();
    case 'coordinates':
      return value.replace(/\s+/g, '').replace(/，/g, ',');
    default:
      return value.trim().toUpperCase().replace(/[\s·•・-]/g, '');
  }
}

const shapeOf = (path: string): string => path.replace(/\[\d+\]/g, '');

function parseOptions(labels: Labels): ParseOptions {
  let protobuf: MessageType | undefined;
  if (labels.route.protobuf) {
    const loaded = loadMessageType(labels.route.protobuf.files.map((f) => join(PACKAGE_ROOT, f)), labels.route.protobuf.messageType);
    if ('issue' in loaded) throw new Error(loaded.issue.message);
    protobuf = loaded.type;
  }
  return { recordRoot: compileRecordRoot(labels.route.recordRoot), accept: undefined, csv: labels.route.csv ?? {}, protobuf };
}

interface Tally {
  expected: number;
  tp: number;
  fn: number;
  fp: number;
  lookalikes: number;
  lookalikeFp: number;
}
const tally = (): Tally => ({ expected: 0, tp: 0, fn: 0, fp: 0, lookalikes: 0, lookalikeFp: 0 });

interface Run {
  readonly files: { labels: Labels; records: number; classified: Classified }[];
  readonly byDetector: Map<Detector, Tally>;
  readonly misses: string[];
  readonly falsePositives: string[];
  readonly lookalikeHits: string[];
  readonly findingMismatches: string[];
}

function runCorpus(): Run {
  const policy = shippedPolicy();
  const run: Run = { files: [], byDetector: new Map(), misses: [], falsePositives: [], lookalikeHits: [], findingMismatches: [] };
  const t = (d: Detector): Tally => {
    let x = run.byDetector.get(d);
    if (!x) run.byDetector.set(d, (x = tally()));
    return x;
  };
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.labels.json')).sort()) {
    const labels = JSON.parse(readFileSync(join(DIR, name), 'utf8')) as Labels;
    const domain = policy.domains.get(labels.domain) as Domain;
    if (!domain) throw new Error(`${name}: no domain ${labels.domain}`);
    const itemDetector = new Map<string, Detector>([...domain.detectorItems].map(([d, item]) => [item.id, d]));
    const bytes = readFileSync(join(DIR, labels.file));
    const records = parse({ bytes, contentType: labels.contentType, contentEncoding: undefined }, parseOptions(labels));
    // The route's indicator index as a snapshot builds it: its own domain and the regime's every-transfer lists.
    const indicatorDomains = [domain, ...(policy.everyTransfer.get(domain.regime) ?? [])].filter((d) => d.indicatorRules.length > 0);
    const classified = classify(records, domain, new Date(labels.onDate), indexIndicators(indicatorDomains));
    run.files.push({ labels, records: records.records.length, classified });
    if (records.records.length !== labels.records.length) {
      run.misses.push(`${labels.file}: parsed ${records.records.length} records, labels list ${labels.records.length}`);
      continue;
    }
    labels.records.forEach((rec, i) => {
      const where = `${labels.file} record ${i} (${rec.source})`;
      const fields = classified.records[i]?.fields ?? [];
      const used = new Set<PiField>();
      const detectorItem = (d: Detector): DataItem | undefined => domain.detectorItems.get(d);
      for (const e of rec.expected) {
        const item = detectorItem(e.detector);
        t(e.detector).expected++;
        const want = normalize(e.detector, e.value);
        const match = fields.find(
          (f) =>
            !used.has(f) &&
            f.path === e.path &&
            normalize(e.detector, f.value) === want &&
            (f.dataItem === item?.id || (f.via === 'field-name' && item?.identifies !== undefined && f.identifies === item.identifies)),
        );
        if (match) {
          used.add(match);
          t(e.detector).tp++;
        } else {
          t(e.detector).fn++;
          const there = fields.filter((f) => f.path === e.path).map((f) => `${f.dataItem} via ${f.via} "${f.value}"`);
          run.misses.push(`${where}: ${e.detector} "${e.value}" at ${e.path} not found (fields there: ${there.join('; ') || 'none'})`);
        }
      }
      for (const l of rec.lookalikes) t(l.imitates).lookalikes++;
      for (const f of fields) {
        if (used.has(f)) continue;
        const detector = itemDetector.get(f.dataItem);
        // Field-name items no detector reports (names, addresses, order numbers…) are not the corpus's subject.
        if (!detector) continue;
        t(detector).fp++;
        const lookalike = rec.lookalikes.find((l) => l.path === f.path);
        const line = `${where}: unexpected ${f.dataItem} (${detector}, via ${f.via}) "${f.value}" at ${f.path}`;
        run.falsePositives.push(line);
        if (lookalike) {
          t(lookalike.imitates).lookalikeFp++;
          run.lookalikeHits.push(`${line} — a look-alike (${lookalike.kind}, "${lookalike.value}")`);
        }
      }
    });
    // Findings are per transfer: one per (detector, field shape, reason), occurrences counted.
    const want = new Map<string, number>();
    for (const rec of labels.records) for (const f of rec.findings) want.set(`${f.detector} ${shapeOf(f.path)} ${f.reason}`, (want.get(`${f.detector} ${shapeOf(f.path)} ${f.reason}`) ?? 0) + 1);
    const got = new Map<string, number>();
    for (const f of classified.findings ?? []) got.set(`${f.detector} ${shapeOf(f.path)} ${f.reason}`, f.occurrences);
    for (const key of new Set([...want.keys(), ...got.keys()])) {
      if (want.get(key) !== got.get(key)) run.findingMismatches.push(`${labels.file}: finding ${key}: labelled ${want.get(key) ?? 0}, classify gave ${got.get(key) ?? 0}`);
    }
  }
  return run;
}

const pct = (n: number, d: number): string => (d === 0 ? '—' : `${((100 * n) / d).toFixed(1)}%`);

function table(run: Run): string {
  const rows = [...run.byDetector.entries()].sort(([a], [b]) => a.localeCompare(b));
  const head = ['detector', 'expected', 'TP', 'FN', 'FP', 'precision', 'recall', 'look-alikes', 'look-alike FP'];
  const body = rows.map(([d, x]) => [d, x.expected, x.tp, x.fn, x.fp, pct(x.tp, x.tp + x.fp), pct(x.tp, x.tp + x.fn), x.lookalikes, x.lookalikeFp].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

describe('the labelled corpus', () => {
  const run = runCorpus();

  it('prints per-detector precision and recall', () => {
    const byType = new Map<string, number>();
    const byDomain = new Map<string, number>();
    for (const f of run.files) {
      const type = f.labels.contentType.split(';')[0]?.trim() as string;
      byType.set(type, (byType.get(type) ?? 0) + f.records);
      byDomain.set(f.labels.domain, (byDomain.get(f.labels.domain) ?? 0) + f.records);
    }
    const findings = run.files.reduce((s, f) => s + (f.classified.findings ?? []).reduce((n, x) => n + x.occurrences, 0), 0);
    console.log(
      [
        `corpus: ${run.files.length} files, ${run.files.reduce((s, f) => s + f.records, 0)} records, ${findings} finding occurrences`,
        `by domain: ${[...byDomain].map(([k, v]) => `${k} ${v}`).join(', ')}`,
        `by content type: ${[...byType].map(([k, v]) => `${k} ${v}`).join(', ')}`,
        '',
        table(run),
      ].join('\n'),
    );
    expect(run.byDetector.size).toBeGreaterThan(0);
  });

  it('holds at least 300 records over the four Guangxi domains and the national rules', () => {
    const byDomain = new Map<string, number>();
    for (const f of run.files) byDomain.set(f.labels.domain, (byDomain.get(f.labels.domain) ?? 0) + f.records);
    expect([...byDomain.keys()].sort()).toEqual(['cn-national/national', 'guangxi-2025/enterprise-credit', 'guangxi-2025/geo-meteo', 'guangxi-2025/live-commerce', 'guangxi-2025/overseas-av']);
    expect(run.files.reduce((s, f) => s + f.records, 0)).toBeGreaterThanOrEqual(300);
  });

  it('has every content type parse/ reads, GBK CSV among them', () => {
    const types = new Set(run.files.map((f) => f.labels.contentType.split(';')[0]?.trim()));
    for (const t of ['application/json', 'application/x-ndjson', 'text/csv', 'text/tab-separated-values', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/x-protobuf', 'text/plain'])
      expect(types, t).toContain(t);
    // GBK bytes are not valid UTF-8: parse/ decoded them by the declared or detected charset.
    const gbkCsv = run.files.filter((f) => f.labels.contentType.startsWith('text/csv') && !isUtf8(readFileSync(join(DIR, f.labels.file))));
    expect(gbkCsv.length, 'a CSV file in GBK bytes').toBeGreaterThan(0);
  });

  it('parses every file into as many records as its labels list', () => {
    expect(run.files.filter((f) => f.records !== f.labels.records.length).map((f) => f.labels.file)).toEqual([]);
  });

  it('finds every checksum-valid identifier (recall 100%)', () => {
    for (const d of CHECKSUM_VALID) expect(run.byDetector.get(d)?.expected ?? 0, `${d} in the corpus`).toBeGreaterThan(0);
    const misses = run.misses.filter((m) => CHECKSUM_VALID.some((d) => m.includes(`: ${d} "`)));
    expect(misses).toEqual([]);
  });

  it('finds every other labelled identifier (labelled passports, landlines, IPs, plates)', () => {
    expect(run.misses).toEqual([]);
  });

  it('counts no checksum-invalid or look-alike value as PI', () => {
    expect(run.lookalikeHits).toEqual([]);
    for (const [d, x] of run.byDetector) expect(x.lookalikeFp, d).toBe(0);
  });

  it('counts nothing the labels do not expect (no false positives at all)', () => {
    expect(run.falsePositives).toEqual([]);
  });

  it('shows look-alikes without a checksum or context as findings, exactly as labelled', () => {
    expect(run.findingMismatches).toEqual([]);
  });
});
