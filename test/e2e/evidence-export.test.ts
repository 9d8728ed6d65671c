/**
 * Evidence export, bundle verification and the half-yearly report, end to end: real gateways
 * in-process (127.0.0.1, port 0) on the shipped packs and a real upstream write two chains through a
 * scripted June (Guangxi 2025 list, domain 3, 跨境配送) under a standard contract that declared its
 * scenarios, data items, recipient and maximum persons; then the CLI (`node bin/xborder.js`, the
 * build `npm test` makes) exports the month, verifies the bundle, and fails it, on fresh copies,
 * for each kind of tampering; `report --half 2026H1` runs over the same evidence.
 *
 * The scenario (times are China time; the clock is the gateways' injected one):
 *   gw-a  2026-05-31 23:00  t0  5 new shippers, allowed under the contract (before the period)
 *         2026-06-15 10:00  t1  10 new shippers, declared items and recipient: allowed
 *                           t2  the same shippers with 发货时间 (shipping-time): undeclared data item
 *                           t3  the same shippers to another forwarder: undeclared recipient
 *   gw-b  2026-06-15 10:00  t4  100 new shippers: the counter passes the declared 100,200 persons
 *                           t5  a batch marked core data: blocked
 *         2026-07-01 09:00  t6  3 new shippers (after the period)
 */
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash, createPublicKey, generateKeyPairSync, sign, verify as checkSignature } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../agent/clock.js';
import { openEmbeddedStore } from '../../agent/count/store/embedded.js';
import { loadIdentityKey } from '../../agent/identify/key.js';
import { canonicalJson, type Manifest } from '../../agent/record/bundle.js';
import { recordToObject } from '../../agent/record/codec.js';
import { listSegments, readFrames, type Frame } from '../../agent/record/segments.js';
import type { Summary } from '../../agent/record/summary.js';
import { deliveryRoute, postJson, REPO, testEnv, type TestEnv } from '../helpers/gateway.js';
import { xborder } from '../helpers/load.js';
import { shipment } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const RECIPIENT = 'Example Logistics Pte. Ltd.';
const OTHER = 'Other Forwarder Sdn. Bhd.';
const PRELOADED = 100_100;

const declared = {
  scenarios: ['cross-border-delivery'],
  dataItems: ['order-number', 'shipper-name', 'shipper-contact', 'shipping-address', 'goods-name', 'goods-quantity'],
  recipients: [RECIPIENT],
  maxPersons: 100_200,
};
const filings = [
  // covers.recipients unset: the contract covers both forwarders; only the first was declared.
  { id: 'SC-LC6', kind: 'standard-contract', covers: { list: 'guangxi-2025', domains: ['live-commerce'], items: [6] }, effective: '2026-01-05', filedOn: '2026-01-09', expires: '2029-01-04', declared },
  { id: 'SA-2023-07', kind: 'security-assessment', covers: { list: 'guangxi-2025', domains: ['live-commerce'] }, effective: '2023-04-01', expires: '2026-03-31' },
  { id: 'ZF-2023-12', kind: 'ftz-filing', covers: { list: 'guangxi-2025', domains: ['live-commerce'] }, effective: '2023-09-01', expires: '2026-08-31' },
];

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const withoutTime = (n: number) => {
  const { shippingTime: _omitted, ...rest } = shipment(n, `order-${n}`);
  return rest;
};

let env: TestEnv;
let upstream: Upstream;
let now = new Date('2026-05-31T15:00:00Z');
const clock: Clock = { now: () => now };
const ids: Record<string, string> = {};
let bundle: string;
let exported: ReturnType<typeof xborder>;
let evidenceDir: string;
let configFile: string;

/** Put persons on the limited counter of 2026 under the gateways' identity key, before they start. */
async function preload(n: number): Promise<void> {
  const identity = loadIdentityKey({ file: join(env.dir, 'hmac.key'), generatedFile: join(env.dir, 'unused.key') });
  const store = openEmbeddedStore(join(env.dir, 'data', 'store'));
  try {
    for (let from = 0; from < n; from += 50_000) {
      const members = Array.from({ length: Math.min(50_000, n - from) }, (_, i) => createHash('sha256').update(`preloaded person ${from + i}`).digest().subarray(0, 16));
      await store.checkAndAdd(2026, identity.fingerprint, [{ counter: LIMITED, members, blocked: [] }], { expectCounted: from > 0, unions: [] });
    }
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist', 'agent', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  env = testEnv();
  evidenceDir = join(env.dir, 'data', 'evidence');
  configFile = join(env.dir, 'xborder.yaml');
  await preload(PRELOADED);
  upstream = await startUpstream();
  const base = {
    store: { kind: 'embedded', path: join(env.dir, 'data', 'store') },
    routes: [deliveryRoute('sg', upstream.url), deliveryRoute('my', upstream.url, { recipient: { name: OTHER, country: 'MY' } })],
    filings,
  };
  const send = async (gwUrl: string, name: string, route: string, shipments: unknown[], status: number) => {
    const res = await postJson(`${gwUrl}/${route}/orders`, { shipments });
    expect(res.status, name).toBe(status);
    ids[name] = res.headers.get('x-xborder-transfer-id') ?? '';
  };

  let gw = await env.start({ ...base, gatewayId: 'gw-a' }, clock);
  await send(gw.dataUrl, 't0', 'sg', range(201, 5).map(withoutTime), 201);
  now = new Date('2026-06-15T02:00:00Z');
  await send(gw.dataUrl, 't1', 'sg', range(1, 10).map(withoutTime), 201);
  await send(gw.dataUrl, 't2', 'sg', range(1, 10).map((n) => shipment(n, `order-${n}`)), 201);
  await send(gw.dataUrl, 't3', 'my', range(1, 10).map(withoutTime), 201);
  await gw.close();

  gw = await env.start({ ...base, gatewayId: 'gw-b' }, clock);
  await send(gw.dataUrl, 't4', 'sg', range(11, 100).map(withoutTime), 201);
  await send(gw.dataUrl, 't5', 'sg', range(301, 3).map((n) => ({ ...shipment(n, `order-${n}`), coreData: '是' })), 451);
  now = new Date('2026-07-01T01:00:00Z');
  await send(gw.dataUrl, 't6', 'sg', range(401, 3).map(withoutTime), 201);
  await gw.close();

  bundle = join(env.dir, 'bundle-2026-06');
  exported = xborder(['evidence', 'export', '--from', '2026-06-01', '--to', '2026-06-30', '--filing', 'SC-LC6', '--out', bundle, '--config', configFile], env.dir);
});

afterAll(async () => {
  await upstream?.close();
  env?.cleanup();
});

const json = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const summaryOf = (dir: string) => json<Summary>(join(dir, 'summary.json'));
const manifestOf = (dir: string) => json<Manifest>(join(dir, 'manifest.json'));

/** The frames of a chain's live segments (over every segment: chains rotate by day), with their records and stored bytes. */
function liveFrames(chain: string): { frame: Frame; bytes: Buffer; seq: number; timeMs: number }[] {
  return listSegments(join(evidenceDir, chain)).flatMap((s) => {
    const file = readFileSync(s);
    return [...readFrames(file)].flatMap((r) =>
      r.kind === 'frame' ? [{ frame: r.frame, bytes: file.subarray(r.frame.offset, r.frame.end), ...recordToObject(r.frame.record) }] : [],
    );
  });
}

/** RFC 4180 rows (quoted fields with doubled quotes), without the byte-order mark. */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const src = text.replace(/^\ufeff/, '');
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && src[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return rows;
}

/** A fresh copy of the exported bundle to break. */
let copies = 0;
function copyOfBundle(): string {
  const dir = join(env.dir, `tampered-${++copies}`);
  cpSync(bundle, dir, { recursive: true });
  return dir;
}
const runFileOf = (dir: string, chain: string) => {
  const c = manifestOf(dir).chains.find((x) => x.gatewayId === chain);
  if (!c) throw new Error(`no run of ${chain}`);
  return { path: join(dir, c.file), file: c.file, run: c };
};
const framesOf = (bytes: Buffer): Frame[] => [...readFrames(bytes)].flatMap((r) => (r.kind === 'frame' ? [r.frame] : []));
const verify = (dir: string, ...more: string[]) => xborder(['evidence', 'verify', dir, ...more], env.dir);

describe('evidence export of June 2026 with --filing SC-LC6', () => {
  it('writes the bundle: each chain\'s run of the period as stored, the summary, the reports, a signed manifest', () => {
    expect(exported.stderr).toBe('');
    expect(exported.status).toBe(0);
    expect(exported.stdout).toContain('gw-a seq 4–');
    expect(exported.stdout).toContain('3 inconsistencies');

    const files = (dir: string, prefix = ''): string[] =>
      readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(dir, join(prefix, e.name)) : [join(prefix, e.name)]));
    const a = liveFrames('gw-a');
    const b = liveFrames('gw-b');
    const inJune = (t: number) => t >= Date.parse('2026-06-01T00:00:00+08:00') && t < Date.parse('2026-07-01T00:00:00+08:00');
    const firstA = a.find((f) => inJune(f.timeMs));
    const lastB = b.filter((f) => inJune(f.timeMs)).at(-1);
    expect(firstA?.seq).toBe(4); // START, t0 and its OUTCOME were written on 31 May
    expect(files(bundle).sort()).toEqual(
      ['filings.json', 'manifest.json', 'public-key.pem', 'report.csv', 'report.html', 'report.md', 'summary.json', `chains/gw-a/segment-000000000004.xbe`, `chains/gw-b/segment-000000000001.xbe`].sort(),
    );
    // The runs are the stored bytes: from gw-a's first June frame to its STOP, gw-b from START to t5.
    const stored = (frames: typeof a, from: number, to: number) => Buffer.concat(frames.filter((f) => f.seq >= from && f.seq <= to).map((f) => f.bytes));
    expect(readFileSync(join(bundle, 'chains/gw-a/segment-000000000004.xbe')).equals(stored(a, 4, a.at(-1)?.seq ?? 0))).toBe(true);
    expect(readFileSync(join(bundle, 'chains/gw-b/segment-000000000001.xbe')).equals(stored(b, 1, lastB?.seq ?? 0))).toBe(true);
    expect(lastB?.seq).toBeLessThan(b.at(-1)?.seq ?? 0); // t6 and gw-b's STOP were written on 1 July

    const manifest = manifestOf(bundle);
    expect(manifest.chains).toEqual([
      { gatewayId: 'gw-a', firstSeq: 4, prevHash: a[2]?.frame.hash.toString('hex'), lastSeq: a.at(-1)?.seq, headHash: a.at(-1)?.frame.hash.toString('hex'), records: (a.at(-1)?.seq ?? 0) - 3, file: 'chains/gw-a/segment-000000000004.xbe' },
      { gatewayId: 'gw-b', firstSeq: 1, prevHash: '0'.repeat(64), lastSeq: lastB?.seq, headHash: lastB?.frame.hash.toString('hex'), records: lastB?.seq, file: 'chains/gw-b/segment-000000000001.xbe' },
    ]);
    for (const f of manifest.files) expect(createHash('sha256').update(readFileSync(join(bundle, f.path))).digest('hex'), f.path).toBe(f.sha256);
    expect(manifest.filing).toBe('SC-LC6');
    expect(manifest.policy.current?.revision).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.policy.revisions).toEqual([manifest.policy.current?.revision]);
    expect(readFileSync(join(bundle, 'public-key.pem'), 'utf8')).toBe(manifest.publicKey);
    // The signature is over the canonical manifest body, with the bundled key.
    const { signature, ...body } = manifest;
    expect(checkSignature(null, Buffer.from(canonicalJson(body)), createPublicKey(manifest.publicKey), Buffer.from(signature.value, 'base64'))).toBe(true);
    expect(json<{ filings: { id: string }[] }>(join(bundle, 'filings.json')).filings.map((f) => f.id)).toEqual(['SC-LC6']);
    // The default signing key was generated into dataDir, private.
    const keyFile = join(env.dir, 'data', 'evidence-signing.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toContain('BEGIN PRIVATE KEY');
  });

  it('summarizes the period: transfers, persons, recipients, and the three inconsistencies with their transfer ids', () => {
    const s = summaryOf(bundle);
    expect(s.period).toMatchObject({ from: '2026-06-01', to: '2026-06-30', start: '2026-06-01T00:00:00.000+08:00', end: '2026-07-01T00:00:00.000+08:00' });
    expect(s.transfers).toMatchObject({ total: 5, byDecision: { allow: 1, flag: 3, block: 1 }, byKind: { TRANSFER: 5 } });
    expect(s.transfers.byReason).toEqual([
      { decision: 'allow', reason: 'covered-by-filing', transfers: 1 },
      { decision: 'block', reason: 'core-data', transfers: 1 },
      { decision: 'flag', reason: 'material-change', transfers: 3 },
    ]);
    // Shippers 1-110 left in June (t0's five were sent in May; t5's three were refused).
    expect(s.persons).toEqual([{ year: 2026, counter: LIMITED, persons: 110 }]);
    expect(s.recipients).toEqual([
      { recipient: RECIPIENT, country: 'SG', transfers: 4, blocked: 1, persons: 110 },
      { recipient: OTHER, country: 'MY', transfers: 1, blocked: 0, persons: 10 },
    ]);
    expect(s.countries.map((c) => c.country)).toEqual(['MY', 'SG']);
    expect(s.blocked.byReason).toEqual([{ reason: 'core-data', transfers: 1 }]);
    expect(s.upstream).toEqual([{ status: 201, errorCode: '', outcomes: 4 }]);

    expect(s.filings.map((f) => f.id)).toEqual(['SC-LC6']);
    const f = s.filings[0] as Summary['filings'][number];
    expect(f.validity).toEqual({ status: 'valid', validFrom: '2026-06-01', validTo: '2026-06-30' });
    expect(f.observed).toMatchObject({ transfers: 4, persons: PRELOADED + 5 + 110, personsCounter: LIMITED, recipients: [{ recipient: RECIPIENT, country: 'SG' }, { recipient: OTHER, country: 'MY' }] });
    const shown = f.inconsistencies.map((x) => ({ kind: x.kind, subject: x.subject, observed: x.observed, ids: x.transfers.map((t) => t.transferId) }));
    expect(shown).toEqual([
      { kind: 'undeclared-data-item', subject: 'shipping-time', observed: 'shipping-time', ids: [ids['t2']] },
      { kind: 'undeclared-recipient', subject: OTHER, observed: 'MY', ids: [ids['t3']] },
      { kind: 'volume-over-declared', subject: LIMITED, observed: String(PRELOADED + 5 + 110), ids: [ids['t4']] },
    ]);
    expect(f.inconsistencies[0]?.transfers[0]).toMatchObject({ time: '2026-06-15T10:00:00.000+08:00', chain: 'gw-a' });
  });

  it('names all three inconsistencies with their transfer ids in report.md, report.html and report.csv', () => {
    const md = readFileSync(join(bundle, 'report.md'), 'utf8');
    const html = readFileSync(join(bundle, 'report.html'), 'utf8');
    for (const text of [md, html]) {
      expect(text).toContain('undeclared data item');
      expect(text).toContain('undeclared recipient');
      expect(text).toContain('volume over declared');
      for (const t of ['t2', 't3', 't4']) expect(text).toContain(ids[t]);
      expect(text).not.toContain(ids['t0'] as string);
    }
    expect(html).not.toMatch(/<script|src=|href=/i);
    // docs/examples is this rendering: XB_WRITE_EXAMPLES=1 npx vitest run test/e2e/evidence-export.test.ts rewrites it.
    if (process.env['XB_WRITE_EXAMPLES'] === '1') {
      writeFileSync(join(REPO, 'docs', 'examples', 'spot-check-report.md'), md);
      writeFileSync(join(REPO, 'docs', 'examples', 'spot-check-report.html'), html);
    }
    const rows = csvRows(readFileSync(join(bundle, 'report.csv'), 'utf8'));
    expect(rows[0]).toEqual(['section', 'filing', 'kind', 'subject', 'declared', 'observed', 'transfers', 'persons', 'first_time', 'last_time', 'transfer_ids']);
    const found = rows.filter((r) => r[0] === 'inconsistency').map((r) => [r[2], r[10]]);
    expect(found).toEqual([
      ['undeclared-data-item', ids['t2']],
      ['undeclared-recipient', ids['t3']],
      ['volume-over-declared', ids['t4']],
    ]);
    expect(rows.filter((r) => r[0] === 'filing' && r[1] === 'SC-LC6').map((r) => r[2])).toEqual(['validity', 'scenarios', 'data-items', 'recipients', 'max-persons']);
  });

  it('verifies the fresh bundle; with --public-key, only against the signer\'s key', () => {
    const ok = verify(bundle);
    expect(ok.stdout).toContain('bundle verifies');
    expect(ok.status).toBe(0);
    const pem = join(env.dir, 'signer.pem');
    writeFileSync(pem, manifestOf(bundle).publicKey);
    expect(verify(bundle, '--public-key', pem).status).toBe(0);
    const stranger = join(env.dir, 'stranger.pem');
    writeFileSync(stranger, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const pinned = verify(bundle, '--public-key', stranger);
    expect(pinned.status).toBe(1);
    expect(pinned.stdout).toContain('not by the expected key');
  });

  it('refuses to export into a folder that is not empty', () => {
    const again = xborder(['evidence', 'export', '--from', '2026-06-01', '--to', '2026-06-30', '--out', bundle, '--config', configFile], env.dir);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('XB_EVIDENCE_EXPORT_NOT_EMPTY');
  });

  it('refuses a configured signing key that is missing or not Ed25519', () => {
    const config = readFileSync(configFile, 'utf8');
    const other = join(env.dir, 'other-key.yaml');
    writeFileSync(other, `${config}\nevidence:\n  signingKey:\n    file: ${join(env.dir, 'no-such.pem')}\n`);
    const missing = xborder(['evidence', 'export', '--from', '2026-06-01', '--to', '2026-06-30', '--out', join(env.dir, 'never-1'), '--config', other], env.dir);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/XB_EVIDENCE_SIGNING_KEY_INVALID: .*no-such\.pem.*ENOENT/);
    const rsa = join(env.dir, 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(other, `${config}\nevidence:\n  signingKey:\n    file: ${rsa}\n`);
    const wrong = xborder(['evidence', 'export', '--from', '2026-06-01', '--to', '2026-06-30', '--out', join(env.dir, 'never-2'), '--config', other], env.dir);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/XB_EVIDENCE_SIGNING_KEY_INVALID: .*rsa key/);
    expect(existsSync(join(env.dir, 'never-1')) || existsSync(join(env.dir, 'never-2'))).toBe(false);
  });
});

describe('evidence verify fails a tampered copy of the bundle, naming the record or the file', () => {
  /** Replace a chain run's bytes; the manifest keeps the original hashes. */
  function tamperRun(chain: string, change: (bytes: Buffer, frames: Frame[]) => Buffer) {
    const dir = copyOfBundle();
    const { path, file, run } = runFileOf(dir, chain);
    const bytes = readFileSync(path);
    const frames = framesOf(bytes);
    writeFileSync(path, change(bytes, frames));
    return { dir, file, run, frames, result: verify(dir) };
  }

  it('a flipped bit in a record', () => {
    const { file, run, frames, result } = tamperRun('gw-a', (bytes, frames) => {
      const out = Buffer.from(bytes);
      const f = frames[1] as Frame;
      out[f.end - 40] = (out[f.end - 40] as number) ^ 0x01; // inside the record, before the 32-byte hash
      return out;
    });
    expect(result.status).toBe(1);
    // The first problem, on stderr too, is the record.
    expect(result.stderr).toContain(`XB_EVIDENCE_BUNDLE_INVALID: ${file} at byte ${frames[1]?.offset} (chain gw-a, seq ${run.firstSeq + 1}): hash does not match the record (altered)`);
    expect(result.stdout).toContain(`gw-a: BROKEN, seq ${run.firstSeq}–${run.lastSeq} in the manifest; verified up to seq ${run.firstSeq}`);
    expect(result.stdout).toContain(`${file}: SHA-256 does not match the manifest`);
  });

  it('a deleted record', () => {
    const { file, run, frames, result } = tamperRun('gw-a', (bytes, frames) => Buffer.concat([bytes.subarray(0, frames[1]?.offset), bytes.subarray(frames[1]?.end)]));
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`${file} at byte ${frames[1]?.offset} (chain gw-a, seq ${run.firstSeq + 2}): seq ${run.firstSeq + 2} where ${run.firstSeq + 1} was expected`);
  });

  it('two swapped records', () => {
    const { file, run, frames, result } = tamperRun('gw-b', (bytes, frames) => {
      const [x, y] = [frames[1] as Frame, frames[2] as Frame];
      return Buffer.concat([bytes.subarray(0, x.offset), bytes.subarray(y.offset, y.end), bytes.subarray(x.offset, x.end), bytes.subarray(y.end)]);
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`${file} at byte ${frames[1]?.offset} (chain gw-b, seq ${run.firstSeq + 2}): seq ${run.firstSeq + 2} where ${run.firstSeq + 1} was expected`);
  });

  it('a truncated segment', () => {
    const { file, frames, result } = tamperRun('gw-b', (bytes) => bytes.subarray(0, bytes.length - 10));
    const last = frames.at(-1) as Frame;
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`${file} at byte ${last.offset} (chain gw-b, seq ${frames.length}): incomplete frame (the file was truncated)`);
  });

  it('a segment cut at a frame boundary (records removed from the end)', () => {
    const { file, frames, result } = tamperRun('gw-b', (bytes, frames) => bytes.subarray(0, frames.at(-2)?.end));
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`${file} (chain gw-b): ends at seq ${frames.length - 1}`);
  });

  it('an edited summary.json', () => {
    const dir = copyOfBundle();
    const s = summaryOf(dir);
    s.transfers.byDecision.block = 0;
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(s, null, 2)}\n`);
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('summary.json: SHA-256 does not match the manifest');
    expect(result.stderr).toContain('summary.json');
  });

  it('an edited summary.json, re-listed and re-signed with another key: the recomputed summary differs, and the pinned key is not the signer', () => {
    const dir = copyOfBundle();
    const original = manifestOf(dir).publicKey;
    const s = summaryOf(dir);
    s.transfers.byDecision.block = 0;
    resignedWithSummary(dir, s);
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('summary.json: differs from the summary recomputed from the bundled records at transfers.byDecision.block (0, recomputed 1)');
    const expected = join(dir, '..', `expected-${copies}.pem`);
    writeFileSync(expected, original);
    expect(verify(dir, '--public-key', expected).stdout).toContain('not by the expected key');
  });

  it('a bundle of summary format 1 (exported before pull mode) is still recomputed its way: verifies, and an edit in it is found', () => {
    const dir = copyOfBundle();
    const { directions: _d, routes, ...rest } = summaryOf(dir);
    const v1 = { ...rest, format: 'xborder-summary/1', routes: routes.map(({ direction: _x, ...row }) => row) };
    resignedWithSummary(dir, v1);
    expect(verify(dir).status).toBe(0);
    v1.transfers.byDecision.block = 0;
    resignedWithSummary(dir, v1);
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('summary.json: differs from the summary recomputed from the bundled records at transfers.byDecision.block (0, recomputed 1)');
  });

  it('a manifest re-signed with another key (the bundled public key unchanged)', () => {
    const dir = copyOfBundle();
    const { signature: _old, ...body } = manifestOf(dir);
    const value = sign(null, Buffer.from(canonicalJson(body)), generateKeyPairSync('ed25519').privateKey).toString('base64');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...body, signature: { algorithm: 'Ed25519', value } }, null, 2));
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('manifest.json: the signature does not verify with the bundled public key');
  });

  it('a corrupted signature', () => {
    const dir = copyOfBundle();
    const m = manifestOf(dir);
    const sig = Buffer.from(m.signature.value, 'base64');
    sig[5] = (sig[5] as number) ^ 0xff;
    m.signature.value = sig.toString('base64');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('XB_EVIDENCE_BUNDLE_INVALID: manifest.json: the signature does not verify');
  });

  it('a file added to the bundle, and a listed one removed', () => {
    const dir = copyOfBundle();
    writeFileSync(join(dir, 'chains', 'gw-a', 'segment-000000000099.xbe'), Buffer.alloc(0));
    rmSync(join(dir, 'report.html'));
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('chains/gw-a/segment-000000000099.xbe: not listed in the manifest');
    expect(result.stdout).toContain('report.html: listed in the manifest but missing');
  });
});

describe('report --half 2026H1 over the same evidence', () => {
  it('prints the half-year\'s transfers, persons, recipients, refusals and filings with their validity', () => {
    const run = xborder(['report', '--half', '2026H1', '--config', configFile], env.dir);
    expect(run.status).toBe(0);
    const md = run.stdout;
    expect(md).toContain('# Half-yearly report on data export activity, 2026H1');
    expect(md).toContain('Fujian FTZ measures Art. 17');
    expect(md).toContain('6 transfers decided');
    expect(md).toContain(`| 2026 | ${LIMITED} | 115 |`);
    expect(md).toContain(`| ${OTHER} | MY | 1 | 0 | 10 |`);
    expect(md).toContain('| block | core-data | 1 |');
    expect(md).toMatch(/\| SC-LC6 \| standard contract \| 2026-01-05 \| 2029-01-04 \| valid \|/);
    expect(md).toMatch(/\| SA-2023-07 \| security assessment \| 2023-04-01 \| 2026-03-31 \| expired \| 2026-01-01 – 2026-03-31 \|/);
    expect(md).toMatch(/\| ZF-2023-12 \| zone filing \| 2023-09-01 \| 2026-08-31 \| expiring \|/);
    // t6 (1 July) is in the second half.
    expect(md).not.toContain(ids['t6'] as string);
    expect(md).toContain(ids['t4'] as string);

    const out = join(env.dir, 'report-out');
    const written = xborder(['report', '--half', '2026H1', '--config', configFile, '--out', out], env.dir);
    expect(written.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['report-2026H1.csv', 'report-2026H1.html', 'report-2026H1.md', 'summary-2026H1.json']);
    const s = json<Summary>(join(out, 'summary-2026H1.json'));
    expect(s.transfers.total).toBe(6);
    expect(s.filings.map((f) => [f.id, f.validity.status])).toEqual([
      ['SA-2023-07', 'expired'],
      ['SC-LC6', 'valid'],
      ['ZF-2023-12', 'expiring'],
    ]);
    const second = xborder(['report', '--half', '2026H2', '--config', configFile], env.dir);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(ids['t6'] as string);
  });

  it('refuses a malformed half', () => {
    const bad = xborder(['report', '--half', '2026Q1', '--config', configFile], env.dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('expected a year and H1 or H2');
  });
});

/** Write `summary` as the bundle's summary.json and re-list and re-sign the manifest with a new key (bundled public key replaced). */
function resignedWithSummary(dir: string, summary: unknown): void {
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  writeFileSync(join(dir, 'public-key.pem'), pem);
  const { signature: _old, ...body } = manifestOf(dir);
  body.publicKey = pem;
  body.files = body.files.map((f) => {
    const bytes = readFileSync(join(dir, f.path));
    return { ...f, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  });
  const resigned = { ...body, signature: { algorithm: 'Ed25519', value: sign(null, Buffer.from(canonicalJson(body)), privateKey).toString('base64') } };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(resigned, null, 2));
}
