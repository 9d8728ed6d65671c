/**
 * No PI in evidence (issue 7's acceptance): known names, mobile numbers (plain, +86, spaced,
 * dashed), resident ID numbers, e-mail addresses and bank card numbers are sent through a real
 * gateway on routes of several content types (JSON, CSV, NDJSON, form), in allowed, refused (451)
 * and flagged transfers, malformed bodies, an uninspectable body on a fail-open route and a body
 * large enough to be spooled, and the period is exported (`xborder evidence export`). Then every
 * file under the test's folder (evidence segments, the store, the spool folder, the export bundle,
 * keys, config) and every captured log line is searched as bytes for each value in several
 * encodings (UTF-8, UTF-16LE/BE, GBK) and as its bare digits: none may hold one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDay } from '../../agent/clock.js';
import type { Gateway } from '../../agent/gateway.js';
import { readRecords } from '../../agent/record/read.js';
import { verifyEvidence } from '../../agent/record/verify.js';
import { deliveryRoute, testEnv, type TestEnv } from '../helpers/gateway.js';
import { xborder } from '../helpers/load.js';
import { residentId } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

/** A valid bank card number: `prefix` and a Luhn check digit. */
function luhn(prefix: string): string {
  const sum = [...prefix].reverse().reduce((s, ch, i) => {
    const d = Number(ch) * (i % 2 === 0 ? 2 : 1);
    return s + (d > 9 ? d - 9 : d);
  }, 0);
  return prefix + String((10 - (sum % 10)) % 10);
}

// The persons. Values chosen so that no other byte run in the files could spell them by chance.
const PEOPLE = [
  { name: '欧阳建华', phone: '13957162384', id: residentId(417, '19790314'), email: 'ouyang.jianhua@example.cn', card: luhn('622202190377418') },
  { name: '司马秀兰', phone: '18671539246', id: residentId(528, '19881127'), email: 'sima.xiulan@example.cn', card: luhn('621700385529106274') },
  { name: '诸葛明轩', phone: '15139470825', id: residentId(639, '19920708'), email: 'zhuge.mingxuan@example.cn', card: luhn('436742187705319') },
  // Under 14 on any transfer date: sensitive PI, refused (451) without a filing.
  { name: '上官小雨', phone: '17760328154', id: residentId(741, '20170521'), email: 'shangguan.xy@example.cn', card: luhn('625807296613425') },
];
/** How a phone is written: plain, +86, 0086, spaced, dashed. */
const phoneForms = (p: string) => [p, `+86${p}`, `+86 ${p.slice(0, 3)} ${p.slice(3, 7)} ${p.slice(7)}`, `0086-${p.slice(0, 3)}-${p.slice(3, 7)}-${p.slice(7)}`, `${p.slice(0, 3)} ${p.slice(3, 7)} ${p.slice(7)}`];
const cardSpaced = (c: string) => c.replace(/(\d{4})(?=\d)/g, '$1 ');

/** Every string that must not appear anywhere, each person's values in every written form and as bare digits. */
const SEEDED: string[] = [
  ...new Set(
    PEOPLE.flatMap((p) => [
      p.name,
      ...phoneForms(p.phone),
      p.id,
      p.id.toLowerCase(),
      p.id.replace(/\D/g, ''),
      p.email,
      p.email.toUpperCase(),
      p.card,
      cardSpaced(p.card),
    ]),
  ),
];
/** Byte patterns of a value: UTF-8, UTF-16LE and BE, GBK (for names). */
function patterns(value: string): { encoding: string; bytes: Buffer }[] {
  const le = Buffer.from(value, 'utf16le');
  const be = Buffer.from(value, 'utf16le').swap16();
  const out: { encoding: string; bytes: Buffer }[] = [
    { encoding: 'utf-8', bytes: Buffer.from(value, 'utf8') },
    { encoding: 'utf-16le', bytes: le },
    { encoding: 'utf-16be', bytes: be },
  ];
  if (/[^\x00-\x7f]/.test(value)) out.push({ encoding: 'gbk', bytes: iconv.encode(value, 'gbk') });
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** `where: value (encoding)` for every seeded value found in `bytes`. */
function leaks(where: string, bytes: Buffer): string[] {
  return SEEDED.flatMap((value) => patterns(value).filter((p) => bytes.includes(p.bytes)).map((p) => `${where}: ${value} (${p.encoding})`));
}

const CSV_COLUMNS = ['orderNo', 'shipperName', 'shipperPhone', 'shippingAddress', 'goodsName', 'quantity'] as const;

describe('no personal information in evidence, store, spool or logs', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway;
  const answers: { what: string; status: number; decision: string | null }[] = [];
  /** The bodies sent, as text (a form's decoded too). */
  const sent: string[] = [];
  const spool = () => join(env.dir, 'data', 'spool');
  const exportDir = () => join(env.dir, 'export');
  let exported: ReturnType<typeof xborder> | undefined;

  async function send(what: string, route: string, contentType: string, body: string) {
    sent.push(contentType.includes('form-urlencoded') ? decodeURIComponent(body.replace(/\+/g, ' ').replace(/%(?![0-9a-f]{2})/gi, '%25')) : body);
    const res = await fetch(`${gw.dataUrl}/${route}/v1/upload`, { method: 'POST', headers: { 'content-type': contentType }, body });
    await res.text();
    answers.push({ what, status: res.status, decision: res.headers.get('x-xborder-decision') });
  }

  beforeAll(async () => {
    env = testEnv();
    upstream = await startUpstream();
    gw = await env.start({
      // Small enough that the CSV and NDJSON batches below are spooled to disk and inspected from there.
      limits: { memoryBytes: 4096 },
      routes: [
        deliveryRoute('json', upstream.url),
        deliveryRoute('flat', upstream.url, { recordRoot: '$' }),
        deliveryRoute('open', upstream.url, { failMode: 'open' }),
      ],
    });

    const [a, b, c, child] = PEOPLE as [(typeof PEOPLE)[number], (typeof PEOPLE)[number], (typeof PEOPLE)[number], (typeof PEOPLE)[number]];
    const phones = phoneForms(a.phone);
    // JSON: shipments of person a with each way of writing the phone, and b with an e-mail and resident ID in a remark.
    await send('JSON, allowed', 'json', 'application/json', JSON.stringify({
      shipments: [
        ...phones.map((phone, i) => ({ orderNo: `J-${i}`, shipperName: a.name, shipperPhone: phone, shippingAddress: '广西南宁市青秀区民族大道1号', goodsName: '六堡茶', quantity: 1 })),
        { orderNo: 'J-8', shipperName: a.name, shipperPhone: a.phone, remark: `请回复 ${a.email}` },
        { orderNo: 'J-9', shipperName: b.name, shipperPhone: b.phone, remark: `邮箱 ${b.email}，身份证 ${b.id}` },
      ],
    }));
    // Sensitive PI (a child's resident ID, a bank card): 451 without a filing.
    await send('JSON, refused', 'json', 'application/json', JSON.stringify({ shipments: [{ orderNo: 'R-1', shipperName: child.name, shipperPhone: child.phone, shipperIdNumber: child.id, remark: `${child.email} ${child.card}` }] }));
    // CSV, spooled: many rows of person c (and the others' values in a free-text column).
    const rows = Array.from({ length: 60 }, (_, i) => [`C-${i}`, c.name, i % 2 ? cardSpaced(c.card) : c.phone, `广西南宁市${i}号 ${c.email} ${c.id}`, '六堡茶', '1']);
    const csv = [CSV_COLUMNS.join(','), ...rows.map((r) => r.join(','))].join('\r\n') + '\r\n';
    expect(Buffer.byteLength(csv)).toBeGreaterThan(4096);
    await send('CSV, spooled', 'flat', 'text/csv; charset=utf-8', csv);
    // NDJSON, spooled.
    await send('NDJSON, spooled', 'flat', 'application/x-ndjson', rows.map((r) => JSON.stringify(Object.fromEntries(CSV_COLUMNS.map((k, i) => [k, r[i]])))).join('\n'));
    // A form.
    await send('form', 'flat', 'application/x-www-form-urlencoded', new URLSearchParams({ orderNo: 'F-1', shipperName: b.name, shipperPhone: phoneForms(b.phone)[2] as string, email: b.email, idNumber: b.id }).toString());
    // Uninspectable (invalid JSON) on a fail-open route: forwarded, flagged.
    await send('uninspectable, fail-open', 'open', 'application/json', `{"shipments": [{"shipperName": "${a.name}", "shipperPhone": "${a.phone}", "idNumber": "${a.id}", "card": "${a.card}"`);
    // The same on a fail-closed route: refused with 400.
    await send('uninspectable, fail-closed', 'json', 'application/json', `{"shipments": [{"shipperName": "${c.name}", "shipperPhone": "${phoneForms(c.phone)[1]}", "email": "${c.email}"`);
    // A form that does not decode, and a type the gateway cannot inspect (415), on a fail-closed route.
    await send('malformed form', 'flat', 'application/x-www-form-urlencoded', `shipperName=${encodeURIComponent(b.name)}&shipperPhone=${b.phone}%zz`);
    await send('uninspectable type', 'flat', 'application/octet-stream', `${a.name} ${a.phone} ${a.id}`);

    // A spool file is removed once its response is over, asynchronously: allow it a moment.
    for (let i = 0; i < 100 && filesUnder(spool()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));

    // An export bundle of the period (yesterday and today, China time, in case the test runs over midnight), beside the data.
    const now = Date.now();
    exported = xborder(['evidence', 'export', '--from', chinaDay(new Date(now - 86_400_000)), '--to', chinaDay(new Date(now)), '--out', exportDir(), '--config', join(env.dir, 'xborder.yaml')], env.dir);
  });

  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    env?.cleanup();
  });

  it('the transfers were decided as intended: allowed, refused, flagged, spooled, malformed', () => {
    expect(answers).toEqual([
      { what: 'JSON, allowed', status: 201, decision: 'allow' },
      { what: 'JSON, refused', status: 451, decision: 'block' },
      { what: 'CSV, spooled', status: 201, decision: 'allow' },
      { what: 'NDJSON, spooled', status: 201, decision: 'allow' },
      { what: 'form', status: 201, decision: 'allow' },
      { what: 'uninspectable, fail-open', status: 201, decision: 'flag' },
      { what: 'uninspectable, fail-closed', status: 400, decision: expect.anything() },
      { what: 'malformed form', status: 400, decision: expect.anything() },
      { what: 'uninspectable type', status: 415, decision: expect.anything() },
    ]);
    // Every value in the forms it was written in went through the gateway, and the upstream got
    // them: the search below would find them if anything had kept them.
    const [a, , c, child] = PEOPLE as [(typeof PEOPLE)[number], unknown, (typeof PEOPLE)[number], (typeof PEOPLE)[number]];
    const written = [...PEOPLE.flatMap((p) => [p.name, p.phone, p.id, p.email]), ...phoneForms(a.phone), a.card, cardSpaced(c.card), child.card];
    expect(written.filter((v) => !sent.some((body) => body.includes(v)))).toEqual([]);
    expect(upstream.received.some((r) => leaks('upstream', r.body).length > 0)).toBe(true);
  });

  it('the evidence recorded them (persons as keys) and verifies', () => {
    const dir = join(env.dir, 'data', 'evidence');
    expect(verifyEvidence(dir).ok).toBe(true);
    const transfers = [...readRecords(dir)].filter((r) => r.record.kind === 'TRANSFER').map((r) => r.record.transfer);
    expect(transfers.map((t) => t?.decision)).toEqual(['allow', 'block', 'allow', 'allow', 'allow', 'flag', 'block', 'block', 'block']);
    expect(transfers.flatMap((t) => t?.persons ?? []).every((p) => p.length === 16)).toBe(true);
  });

  it('no file under the data folder holds any seeded value, in any encoding or as bare digits', () => {
    const files = filesUnder(env.dir);
    const names = files.map((f) => relative(env.dir, f));
    expect(names.some((n) => n.includes('segment-'))).toBe(true);
    expect(names.some((n) => n.startsWith(join('data', 'store')))).toBe(true);
    expect(files.flatMap((f) => leaks(relative(env.dir, f), readFileSync(f)))).toEqual([]);
  });

  it('the spool folder is empty after the transfers', () => {
    expect(filesUnder(spool())).toEqual([]);
  });

  it('no log line holds any seeded value', () => {
    expect(env.logLines.some((l) => l.includes('"xborder.decision"'))).toBe(true);
    expect(env.logLines.flatMap((l, i) => leaks(`log line ${i}`, Buffer.from(l)))).toEqual([]);
  });

  it('an `xborder evidence export` bundle of the period holds none either, and verifies', () => {
    expect(exported?.status, `${exported?.stdout}${exported?.stderr}`).toBe(0);
    const files = filesUnder(exportDir());
    expect(files.some((f) => f.endsWith('.xbe'))).toBe(true);
    expect(files.flatMap((f) => leaks(relative(env.dir, f), readFileSync(f)))).toEqual([]);
    expect(leaks('export output', Buffer.from(`${exported?.stdout}${exported?.stderr}`))).toEqual([]);
    const verified = xborder(['evidence', 'verify', exportDir()], env.dir);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
  });
});
