/**
 * summarize() on plain records (period edges, persons, filings' declared side against what was
 * observed, validity), and bundles on real files: canonical JSON, Ed25519 signing and verification,
 * the signing key (generated when it is the default, refused otherwise), export refusals.
 */
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RawFiling } from '../../../agent/config/schema.js';
import { XbError } from '../../../agent/errors.js';
import { canonicalJson, loadSigningKey, signManifest, signedBytes, verifyBundle, type Manifest, type ManifestBody } from '../../../agent/record/bundle.js';
import { GENESIS_HASH, type CounterDeltaObject, type EvidenceObject, type TransferObject } from '../../../agent/record/codec.js';
import { exportBundle, readPeriodRuns } from '../../../agent/record/export.js';
import { openEvidenceLog, type EvidenceEntry } from '../../../agent/record/log.js';
import { renderCsv, renderHtml, renderMarkdown } from '../../../agent/record/report.js';
import { listSegments } from '../../../agent/record/segments.js';
import { halfYear, summarize, validity, type SummaryRecord } from '../../../agent/record/summary.js';
import { tempDir } from '../support/policy.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';
const JUNE = { from: '2026-06-01', to: '2026-06-30' };
/** A China-time clock reading as Unix ms. */
const at = (iso: string): number => Date.parse(`${iso}+08:00`);
const person = (n: number): Buffer => Buffer.alloc(16, n);

let seqs = new Map<string, number>();
let transfers = 0;
beforeEach(() => {
  seqs = new Map();
  transfers = 0;
});

/** A record of `chain` with the next seq; hashes are made up (summarize() does not check links). */
function rec(chain: string, timeMs: number, kind: EvidenceObject['kind'], more: Partial<EvidenceObject> = {}): SummaryRecord {
  const seq = (seqs.get(chain) ?? 0) + 1;
  seqs.set(chain, seq);
  const hash = createHash('sha256').update(`${chain} ${seq}`).digest();
  const prevHash = seq === 1 ? GENESIS_HASH : createHash('sha256').update(`${chain} ${seq - 1}`).digest();
  return { chain, hash: hash.toString('hex'), record: { version: 1, gatewayId: chain, seq, timeMs, kind, prevHash, transferId: '', transfer: null, outcome: null, lifecycle: null, ...more } };
}

/** A TRANSFER: persons by number; counters as [counter, before, persons' indices]; decision allow unless said. */
function transfer(chain: string, timeMs: number, t: Partial<TransferObject> & { people?: number[]; on?: [string, number, number[]][] } = {}): SummaryRecord {
  const { people = [], on = [], ...rest } = t;
  const counters: CounterDeltaObject[] = on.map(([counter, before, idx]) => ({ counter, before, added: idx.length, after: before + idx.length, persons: idx, estimated: false }));
  const transferObj: TransferObject = {
    route: 'sg',
    direction: 'push',
    recipient: 'Example Logistics Pte. Ltd.',
    recipientCountry: 'SG',
    regime: 'guangxi',
    list: 'guangxi-2025',
    domain: 'live-commerce',
    scenario: 'cross-border-delivery',
    dataItems: ['shipper-name', 'shipper-contact'],
    recordCount: people.length,
    subjectCount: people.length,
    persons: people.map(person),
    year: 2026,
    admitted: true,
    counters,
    decision: 'allow',
    reason: 'within-thresholds',
    enforceWouldBlock: false,
    rules: [],
    policyRevision: 'rev-1',
    filings: [],
    bodySha256: Buffer.alloc(32),
    bodySize: 100,
    errorCode: '',
    notices: [],
    exemption: '',
    exemptionHeld: false,
    ...rest,
  };
  return rec(chain, timeMs, 'TRANSFER', { transferId: `t-${++transfers}`, transfer: transferObj });
}

/** A transfer under filing `id`: its rule on `counter` covered by it, the counter at `before` + persons. */
const covered = (chain: string, timeMs: number, id: string, before: number, people: number[], more: Partial<TransferObject> = {}) =>
  transfer(chain, timeMs, {
    people,
    on: [[LIMITED, before, people.map((_, i) => i)]],
    filings: [id],
    reason: 'covered-by-filing',
    rules: [{ list: 'guangxi-2025', domain: 'live-commerce', item: 6, counter: LIMITED, before, added: people.length, filing: id }],
    ...more,
  });

const contract = (declared?: RawFiling['declared'], more: Partial<RawFiling> = {}): RawFiling => ({
  id: 'SC-1',
  kind: 'standard-contract',
  covers: { list: 'guangxi-2025', domains: ['live-commerce'], items: [6] },
  effective: '2026-01-05',
  expires: '2029-01-04',
  ...(declared ? { declared } : {}),
  ...more,
});

describe('summarize(): the period', () => {
  it('counts records from 00:00 China time of `from` up to, not including, 00:00 of the day after `to`; the run keeps the rest for its links', () => {
    const records = [
      transfer('gw', at('2026-05-31T23:59:59.999'), { people: [1], on: [[LIMITED, 0, [0]]] }),
      transfer('gw', at('2026-06-01T00:00:00.000'), { people: [2], on: [[LIMITED, 1, [0]]] }),
      transfer('gw', at('2026-06-30T23:59:59.999'), { people: [3], on: [[LIMITED, 2, [0]]] }),
      transfer('gw', at('2026-07-01T00:00:00.000'), { people: [4], on: [[LIMITED, 3, [0]]] }),
    ];
    const s = summarize(records, [], JUNE);
    expect(s.period).toEqual({ from: '2026-06-01', to: '2026-06-30', timeZone: 'China time (UTC+08:00)', start: '2026-06-01T00:00:00.000+08:00', end: '2026-07-01T00:00:00.000+08:00' });
    expect(s.transfers.total).toBe(2);
    expect(s.persons).toEqual([{ year: 2026, counter: LIMITED, persons: 2 }]);
    expect(s.chains).toEqual([
      { gatewayId: 'gw', firstSeq: 1, prevHash: GENESIS_HASH.toString('hex'), lastSeq: 4, headHash: records[3]?.hash, records: 4 },
    ]);
  });

  it('summarizes nothing to zeros, and every configured filing with an empty observed side', () => {
    const s = summarize([], [contract({ maxPersons: 10 })], JUNE);
    expect(s.chains).toEqual([]);
    expect(s.transfers).toEqual({ total: 0, byKind: {}, byDecision: { allow: 0, flag: 0, block: 0 }, byReason: [], enforceWouldBlock: 0, sent: { transfers: 0, records: 0, bytes: 0 } });
    expect(s.filings[0]).toMatchObject({ id: 'SC-1', observed: { transfers: 0, firstTime: null, persons: 0, personsCounter: null }, inconsistencies: [] });
  });

  it('does not depend on the order the chains come in', () => {
    const a = [transfer('gw-a', at('2026-06-02T10:00:00'), { people: [1, 2], on: [[LIMITED, 0, [0, 1]]] }), rec('gw-a', at('2026-06-02T10:00:01'), 'OUTCOME', { outcome: { upstreamStatus: 200, errorCode: '', responseBytes: 2 } })];
    const b = [transfer('gw-b', at('2026-06-01T09:00:00'), { people: [2, 3], on: [[LIMITED, 2, [0, 1]]], recipient: 'Other', recipientCountry: 'MY' })];
    expect(summarize([...a, ...b], [contract()], JUNE)).toEqual(summarize([...b, ...a], [contract()], JUNE));
  });
});

describe('summarize(): persons and totals', () => {
  it('counts distinct person keys per counter and year, from admitted transfers and backfills and from transfers forwarded while the store was down; a refused transfer sent nobody', () => {
    const june = at('2026-06-10T12:00:00');
    const records = [
      transfer('gw', june, { people: [1, 2, 3], on: [[LIMITED, 0, [0, 1]], [GENERAL, 0, [2]]] }),
      transfer('gw', june, { people: [1, 4], on: [[LIMITED, 2, [0, 1]]] }),
      // Refused: not admitted, nobody left.
      transfer('gw', june, { people: [5], on: [[LIMITED, 3, [0]]], admitted: false, decision: 'block', reason: 'threshold-uncovered', enforceWouldBlock: true }),
      // Forwarded uncounted on a fail-open route while the store was down: these persons left.
      transfer('gw', june, { people: [6], on: [[LIMITED, 0, [0]]], admitted: false, decision: 'flag', reason: 'store-unavailable', enforceWouldBlock: true }),
      transfer('gw-backfill', june, { people: [7], on: [[LIMITED, 3, [0]]], direction: 'backfill' }),
    ];
    records[4] = { ...records[4], record: { ...(records[4] as SummaryRecord).record, kind: 'BACKFILL' } } as SummaryRecord;
    const s = summarize(records, [], JUNE);
    expect(s.persons).toEqual([
      { year: 2026, counter: GENERAL, persons: 1 },
      { year: 2026, counter: LIMITED, persons: 5 }, // 1, 2, 4, 6, 7
    ]);
    expect(s.personsByYear).toEqual([{ year: 2026, persons: 6 }]);
    expect(s.transfers).toMatchObject({ total: 5, byKind: { BACKFILL: 1, TRANSFER: 4 }, byDecision: { allow: 3, flag: 1, block: 1 }, enforceWouldBlock: 2 });
    expect(s.blocked).toEqual({ total: 1, byReason: [{ reason: 'threshold-uncovered', transfers: 1 }] });
    expect(s.flagged).toEqual({ total: 1, byReason: [{ reason: 'store-unavailable', transfers: 1 }] });
    expect(s.transfers.sent).toEqual({ transfers: 4, records: 7, bytes: 400 });
    expect(s.recipients).toEqual([{ recipient: 'Example Logistics Pte. Ltd.', country: 'SG', transfers: 5, blocked: 1, persons: 6 }]);
  });

  it('keeps counting years apart: a period across New Year counts each year\'s persons on its own counter', () => {
    const records = [
      transfer('gw', at('2025-12-31T23:00:00'), { people: [1], on: [[LIMITED, 0, [0]]], year: 2025 }),
      transfer('gw', at('2026-01-01T01:00:00'), { people: [1], on: [[LIMITED, 0, [0]]], year: 2026 }),
    ];
    const s = summarize(records, [], { from: '2025-12-01', to: '2026-01-31' });
    expect(s.persons).toEqual([
      { year: 2025, counter: LIMITED, persons: 1 },
      { year: 2026, counter: LIMITED, persons: 1 },
    ]);
  });

  it('tallies upstream outcomes, notices, policy revisions and lifecycle events', () => {
    const june = at('2026-06-10T12:00:00');
    const records = [
      rec('gw', june, 'START', { lifecycle: { policyRevision: 'rev-1', version: '0.1.0', detail: 'xborder.yaml', keyFingerprint: 'f' } }),
      transfer('gw', june, { notices: [{ code: 'alert-level', detail: '', citation: '', filing: '', counter: LIMITED }, { code: 'alert-level', detail: '', citation: '', filing: '', counter: GENERAL }] }),
      rec('gw', june, 'OUTCOME', { outcome: { upstreamStatus: 0, errorCode: 'XB_UPSTREAM_TIMEOUT', responseBytes: 0 } }),
      rec('gw', june, 'RELOAD', { lifecycle: { policyRevision: 'rev-2', version: '0.1.0', detail: '{}', keyFingerprint: '' } }),
    ];
    const s = summarize(records, [], JUNE);
    expect(s.notices).toEqual([{ code: 'alert-level', transfers: 1 }]);
    expect(s.upstream).toEqual([{ status: 0, errorCode: 'XB_UPSTREAM_TIMEOUT', outcomes: 1 }]);
    expect(s.policyRevisions).toEqual([
      { revision: 'rev-1', records: 2 },
      { revision: 'rev-2', records: 1 },
    ]);
    expect(s.events.map((e) => [e.kind, e.seq])).toEqual([
      ['START', 1],
      ['RELOAD', 4],
    ]);
  });
});

describe('summarize(): a filing\'s declared side against what was observed', () => {
  const declared = { scenarios: ['cross-border-delivery'], dataItems: ['shipper-name', 'shipper-contact'], recipients: ['Example Logistics Pte. Ltd.'], maxPersons: 100 };

  it('names each inconsistency once, with every transfer that shows it, in time order', () => {
    const records = [
      covered('gw', at('2026-06-03T09:00:00'), 'SC-1', 90, [1, 2]),
      covered('gw', at('2026-06-02T09:00:00'), 'SC-1', 92, [3], { dataItems: ['shipper-name', 'buyer-name'] }),
      covered('gw', at('2026-06-04T09:00:00'), 'SC-1', 93, [4], { dataItems: ['buyer-name', 'shipping-time'], recipient: 'Other', recipientCountry: 'MY', scenario: 'overseas-warehouse' }),
      covered('gw', at('2026-06-05T09:00:00'), 'SC-1', 99, [5, 6]),
      covered('gw', at('2026-06-06T09:00:00'), 'SC-1', 101, [7]),
    ];
    const f = summarize(records, [contract(declared)], JUNE).filings[0];
    expect(f?.observed).toMatchObject({ transfers: 5, persons: 102, personsCounter: LIMITED, scenarios: ['cross-border-delivery', 'overseas-warehouse'] });
    expect(f?.inconsistencies.map((x) => [x.kind, x.subject, x.observed, x.transfers.map((t) => t.transferId)])).toEqual([
      ['undeclared-scenario', 'overseas-warehouse', 'overseas-warehouse', ['t-3']],
      ['undeclared-data-item', 'buyer-name', 'buyer-name', ['t-2', 't-3']],
      ['undeclared-data-item', 'shipping-time', 'shipping-time', ['t-3']],
      ['undeclared-recipient', 'Other', 'MY', ['t-3']],
      // 99 + 2 = 101 and 101 + 1 = 102 are over 100; 93 + 1 is not.
      ['volume-over-declared', LIMITED, '102', ['t-4', 't-5']],
    ]);
    expect(f?.inconsistencies[1]?.declared).toBe('shipper-name, shipper-contact');
  });

  it('checks only what was declared, and nothing without a declared side', () => {
    const records = [covered('gw', at('2026-06-03T09:00:00'), 'SC-1', 500, [1], { dataItems: ['anything'], recipient: 'Other' })];
    expect(summarize(records, [contract({ maxPersons: 1000 })], JUNE).filings[0]?.inconsistencies).toEqual([]);
    const none = summarize(records, [contract()], JUNE).filings[0];
    expect(none?.declared).toBeNull();
    expect(none?.inconsistencies).toEqual([]);
    expect(none?.observed.transfers).toBe(1);
  });

  it('takes the volume from admitted transfers only, and from the citation when the counter delta is an estimate', () => {
    const refused = covered('gw', at('2026-06-03T09:00:00'), 'SC-1', 150, [1], { admitted: false, decision: 'flag' });
    const estimated = covered('gw', at('2026-06-04T09:00:00'), 'SC-1', 120, [2]);
    const t = estimated.record.transfer as TransferObject;
    (t.counters[0] as CounterDeltaObject).estimated = true;
    (t.counters[0] as CounterDeltaObject).after = 5000;
    const f = summarize([refused, estimated], [contract({ maxPersons: 100 })], JUNE).filings[0];
    expect(f?.observed.persons).toBe(121);
    expect(f?.inconsistencies.map((x) => [x.subject, x.observed, x.transfers.map((r) => r.transferId)])).toEqual([[LIMITED, '121', [estimated.record.transferId]]]);
  });

  it('counts only transfers whose record names the filing', () => {
    const other = transfer('gw', at('2026-06-03T09:00:00'), { people: [1], filings: ['SC-2'], recipient: 'Other' });
    const f = summarize([other], [contract({ recipients: ['Example Logistics Pte. Ltd.'] })], JUNE).filings[0];
    expect(f?.observed.transfers).toBe(0);
    expect(f?.inconsistencies).toEqual([]);
  });
});

describe('validity over a period', () => {
  it.each([
    ['valid the whole period, expiring long after', '2026-01-05', '2029-01-04', 'valid', '2026-06-01', '2026-06-30'],
    ['expires within 90 days after the period', '2023-09-01', '2026-09-28', 'expiring', '2026-06-01', '2026-06-30'],
    ['expires 91 days after the period', '2023-09-01', '2026-09-29', 'valid', '2026-06-01', '2026-06-30'],
    ['expires on the last day of the period', '2023-07-01', '2026-06-30', 'expiring', '2026-06-01', '2026-06-30'],
    ['expired during the period', '2023-06-15', '2026-06-14', 'expired', '2026-06-01', '2026-06-14'],
    ['expired before the period', '2023-01-01', '2026-03-31', 'expired', null, null],
    ['takes effect during the period', '2026-06-20', '2029-06-19', 'valid', '2026-06-20', '2026-06-30'],
    ['takes effect after the period', '2026-07-01', '2029-06-30', 'not-yet-effective', null, null],
  ])('%s', (_what, effective, expires, status, validFrom, validTo) => {
    expect(validity({ effective, expires }, JUNE)).toEqual({ status, validFrom, validTo });
  });

  it('reads halves as China-time half years', () => {
    expect(halfYear('2026H1')).toEqual({ from: '2026-01-01', to: '2026-06-30' });
    expect(halfYear('2026H2')).toEqual({ from: '2026-07-01', to: '2026-12-31' });
    expect(halfYear('2026H3')).toBeUndefined();
    expect(halfYear('26H1')).toBeUndefined();
  });
});

describe('the report renderings', () => {
  it('keep a configured name from breaking a Markdown table, HTML or a CSV row', () => {
    const name = 'A | B <script>alert(1)</script>, "C"';
    const s = summarize([transfer('gw', at('2026-06-03T09:00:00'), { people: [1], on: [[LIMITED, 0, [0]]], recipient: name })], [], JUNE);
    const meta = { kind: 'spot-check', company: 'Co', regime: 'guangxi', created: '2026-07-01T00:00:00.000Z', version: '0.1.0' } as const;
    expect(renderMarkdown(s, meta)).toContain('| A \\| B &lt;script>alert(1)&lt;/script>, "C" | SG | 1 | 0 | 1 |');
    const html = renderHtml(s, meta);
    expect(html).not.toContain('<script');
    expect(html).toContain('A | B &lt;script&gt;alert(1)&lt;/script&gt;, &quot;C&quot;');
    expect(renderCsv(s)).toContain('recipient,,,"A | B <script>alert(1)</script>, ""C""",,SG,1,1,,,\r\n');
  });
});

describe('canonical JSON and the manifest signature', () => {
  it('sorts keys at every level, keeps array order, drops undefined, writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 'é', y: null }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":"é"}]},"b":1}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
  });

  it('signs the canonical body without `signature`: the same manifest written in another key order still verifies, a changed field does not', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const body = { format: 'x', created: '2026-07-01T00:00:00.000Z', files: [{ path: 'a', sha256: 'b', bytes: 1 }] } as unknown as ManifestBody;
    const m = signManifest(body, privateKey);
    const reordered = JSON.parse(JSON.stringify({ signature: m.signature, files: m.files, created: m.created, format: m.format })) as Manifest;
    expect(verify(null, signedBytes(reordered), publicKey, Buffer.from(m.signature.value, 'base64'))).toBe(true);
    expect(signedBytes(m).toString()).toBe('{"created":"2026-07-01T00:00:00.000Z","files":[{"bytes":1,"path":"a","sha256":"b"}],"format":"x"}');
    expect(verify(null, signedBytes({ ...m, created: '2026-07-02T00:00:00.000Z' }), publicKey, Buffer.from(m.signature.value, 'base64'))).toBe(false);
  });
});

describe('bundles on real files', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('bundle');
  });
  afterEach(() => tmp.remove());

  const entry = (n: number, day: string): EvidenceEntry => ({
    kind: 'TRANSFER',
    timeMs: at(`${day}T10:00:00`) + n,
    transferId: `t-${n}`,
    transfer: {
      route: 'sg', direction: 'push', recipient: 'Example Logistics Pte. Ltd.', recipientCountry: 'SG', regime: 'guangxi', list: 'guangxi-2025', domain: 'live-commerce',
      scenario: 'cross-border-delivery', dataItems: ['shipper-name'], recordCount: 1, subjectCount: 1, persons: [person(n)], year: 2026, admitted: true,
      counters: [{ counter: LIMITED, before: n, added: 1, after: n + 1, persons: [0] }], decision: 'allow', reason: 'within-thresholds', policyRevision: 'rev-1',
    },
  });
  async function chain(dir: string, gatewayId: string, entries: EvidenceEntry[]): Promise<void> {
    const log = await openEvidenceLog({ dir, gatewayId, fsync: 'always', fsyncIntervalMs: 200 });
    for (const e of entries) await log.append(e);
    await log.close();
  }
  const exportTo = (out: string, dirs: string[], key = generateKeyPairSync('ed25519').privateKey) =>
    exportBundle({ dirs, period: JUNE, out, filings: [contract()], filing: undefined, key, company: { name: 'Co', regime: 'guangxi' }, policy: null, version: '0.1.0', created: new Date('2026-07-02T00:00:00Z') });

  it('exports a verifiable bundle whose manifest may be re-serialized; a changed manifest field breaks the signature', async () => {
    const evidence = join(tmp.dir, 'evidence');
    await chain(evidence, 'gw', [entry(1, '2026-05-30'), entry(2, '2026-06-10'), entry(3, '2026-06-11'), entry(4, '2026-07-01')]);
    const out = join(tmp.dir, 'out');
    const { manifest, summary } = exportTo(out, [evidence]);
    expect(manifest.chains).toEqual([expect.objectContaining({ gatewayId: 'gw', firstSeq: 2, lastSeq: 3, records: 2, file: 'chains/gw/segment-000000000002.xbe' })]);
    expect(summary.transfers.total).toBe(2);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    expect(statSync(join(out, 'summary.json')).mode & 0o777).toBe(0o600);
    expect(verifyBundle(out)).toMatchObject({ ok: true, problems: [], summary: 'matches' });

    const text = readFileSync(join(out, 'manifest.json'), 'utf8');
    const parsed = JSON.parse(text) as Manifest;
    const { signature, ...rest } = parsed;
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ signature, ...rest }));
    expect(verifyBundle(out).ok).toBe(true);
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ ...parsed, created: '2020-01-01T00:00:00.000Z' }));
    expect(verifyBundle(out).problems[0]).toContain('manifest.json: the signature does not verify');
  });

  it('refuses to export from a chain that does not verify, or into a folder that is not empty', async () => {
    const evidence = join(tmp.dir, 'evidence');
    await chain(evidence, 'gw', [entry(1, '2026-06-10'), entry(2, '2026-06-11')]);
    const out = join(tmp.dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'old'), 'x');
    expect(() => exportTo(out, [evidence])).toThrow(expect.objectContaining({ code: 'XB_EVIDENCE_EXPORT_NOT_EMPTY' }));
    const segment = listSegments(join(evidence, 'gw'))[0] as string;
    const bytes = readFileSync(segment);
    bytes[bytes.length - 40] = (bytes[bytes.length - 40] as number) ^ 1;
    writeFileSync(segment, bytes);
    const fresh = join(tmp.dir, 'fresh');
    expect(() => exportTo(fresh, [evidence])).toThrow(expect.objectContaining({ code: 'XB_EVIDENCE_CHAIN_BROKEN' }));
    expect(existsSync(fresh)).toBe(false);
  });

  it('reads a chain given in two folders once, from the longer copy; refuses two different chains under one name', async () => {
    const one = join(tmp.dir, 'one');
    const two = join(tmp.dir, 'two');
    await chain(one, 'gw', [entry(1, '2026-06-10'), entry(2, '2026-06-11')]);
    mkdirSync(two);
    cpSync(join(one, 'gw'), join(two, 'gw'), { recursive: true });
    await chain(two, 'gw', [entry(3, '2026-06-12')]);
    const runs = readPeriodRuns([one, two], JUNE);
    expect(runs.map((r) => [r.gatewayId, r.records.length])).toEqual([['gw', 3]]);

    const three = join(tmp.dir, 'three');
    await chain(three, 'gw', [entry(7, '2026-06-10')]);
    expect(() => readPeriodRuns([one, three], JUNE)).toThrow(/two different chains under one name/);
  });
});

describe('the signing key', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('signing-key');
  });
  afterEach(() => tmp.remove());

  it('is generated at the default path (mode 0600, PKCS#8 Ed25519) and then reused', () => {
    const file = join(tmp.dir, 'data', 'evidence-signing.key');
    const first = loadSigningKey(file, true);
    expect(first.generated).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const again = loadSigningKey(file, true);
    expect(again.generated).toBe(false);
    expect(again.key.export({ type: 'pkcs8', format: 'der' }).equals(first.key.export({ type: 'pkcs8', format: 'der' }))).toBe(true);
  });

  it('refuses a configured key that is missing, not a key, or not Ed25519', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as XbError).code;
      }
      return 'no error';
    };
    expect(code(() => loadSigningKey(join(tmp.dir, 'missing.pem'), false))).toBe('XB_EVIDENCE_SIGNING_KEY_INVALID');
    expect(existsSync(join(tmp.dir, 'missing.pem'))).toBe(false);
    writeFileSync(join(tmp.dir, 'junk.pem'), 'not a key');
    expect(code(() => loadSigningKey(join(tmp.dir, 'junk.pem'), false))).toBe('XB_EVIDENCE_SIGNING_KEY_INVALID');
    writeFileSync(join(tmp.dir, 'ec.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(code(() => loadSigningKey(join(tmp.dir, 'ec.pem'), false))).toBe('XB_EVIDENCE_SIGNING_KEY_INVALID');
  });
});
