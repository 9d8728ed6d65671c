/**
 * Render a Summary for people: Markdown, a self-contained static HTML page (no scripts, no external
 * resources) and CSV. One document model feeds Markdown and HTML, so both say the same thing.
 * Two kinds: the spot-check report of an evidence bundle (filings and inconsistencies first) and the
 * half-yearly report (activity first; Fujian FTZ measures Art. 17, Jiangsu FTZ measures Arts. 12, 16).
 */
import type { FilingSummary, Inconsistency, Summary } from './summary.js';

export interface ReportMeta {
  readonly kind: 'spot-check' | 'half-year';
  /** `2026H1` for a half-year report. */
  readonly half?: string;
  readonly company: string;
  readonly regime: string;
  /** ISO time the report was made. */
  readonly created: string;
  readonly version: string;
  /** Filings the export was limited to (`--filing`), if any. */
  readonly filing?: string | undefined;
}

type Block =
  | { readonly h: 1 | 2 | 3; readonly text: string }
  | { readonly p: string }
  | { readonly list: readonly string[] }
  | { readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] };

/** Transfer ids shown per inconsistency in Markdown and HTML; CSV and summary.json list them all. */
export const IDS_SHOWN = 20;

const num = (n: number): string => n.toLocaleString('en-US');
const KIND_NAME: Record<FilingSummary['kind'], string> = {
  'security-assessment': 'security assessment',
  'standard-contract': 'standard contract',
  certification: 'certification',
  'ftz-filing': 'zone filing',
  'export-licence': 'export licence',
};
const INCONSISTENCY_NAME: Record<Inconsistency['kind'], string> = {
  'undeclared-scenario': 'undeclared scenario',
  'undeclared-data-item': 'undeclared data item',
  'undeclared-recipient': 'undeclared recipient',
  'volume-over-declared': 'volume over declared',
};

function title(s: Summary, m: ReportMeta): string {
  return m.kind === 'half-year'
    ? `Half-yearly report on data export activity, ${m.half ?? `${s.period.from} – ${s.period.to}`} (数据出境情况半年报告)`
    : `Evidence spot-check report, ${s.period.from} – ${s.period.to} (一致性抽验)`;
}

function document(s: Summary, m: ReportMeta): Block[] {
  const out: Block[] = [{ h: 1, text: title(s, m) }];
  const chains = s.chains.map((c) => `${c.gatewayId} seq ${c.firstSeq}–${c.lastSeq}`).join(', ');
  out.push({
    list: [
      `Company: ${m.company} (regime ${m.regime})`,
      `Period: ${s.period.from} to ${s.period.to} inclusive, China time (${s.period.start} to ${s.period.end}, end excluded)`,
      ...(m.filing ? [`Filing examined: ${m.filing}`] : []),
      `Built from ${num(s.records.total)} evidence records of the period${chains ? ` in ${chains}` : ''}`,
      `Made ${m.created} by xborder ${m.version}`,
    ],
  });
  if (m.kind === 'half-year')
    out.push({
      p:
        'The data the zone authorities report every half year (Fujian FTZ measures Art. 17: 片区实施机构每半年…报送…区内数据出境情况; ' +
        'Jiangsu FTZ measures Art. 16), covering what Jiangsu Art. 12 asks a company to report: business scenarios (数据出境业务场景), ' +
        'the data catalogue (出境数据目录), the scale (出境数据规模) and the overseas recipients (境外接收方). ' +
        'Persons are distinct natural persons, counted by their keys; no personal information appears here.',
    });
  else
    out.push({
      p:
        'What the evidence of the period shows against what each filing declared, for a consistency spot-check ' +
        '(Fujian FTZ measures Art. 16: 就数据实际出境情况与备案材料进行一致性抽验). Every figure is recomputed from the bundled records by ' +
        '`xborder evidence verify`; the transfer ids locate the records in `chains/`.',
    });
  const filings = filingBlocks(s);
  const activity = activityBlocks(s);
  out.push(...(m.kind === 'spot-check' ? [...filings, ...activity] : [...activity, ...filings]));
  out.push({ h: 2, text: 'Evidence' });
  out.push({
    head: ['chain', 'first seq', 'previous hash', 'last seq', 'head hash', 'records'],
    rows: s.chains.map((c) => [c.gatewayId, String(c.firstSeq), c.prevHash, String(c.lastSeq), c.headHash, num(c.records)]),
  });
  if (s.chains.length === 0) out.push({ p: 'No evidence record falls in the period.' });
  out.push({ head: ['policy revision', 'records'], rows: s.policyRevisions.map((r) => [r.revision, num(r.records)]) });
  if (s.events.length > 0)
    out.push({ head: ['time', 'event', 'chain', 'seq', 'detail'], rows: s.events.map((e) => [e.time, e.kind, e.chain, String(e.seq), e.detail]) });
  return out;
}

function activityBlocks(s: Summary): Block[] {
  const t = s.transfers;
  const out: Block[] = [{ h: 2, text: 'Transfers' }];
  out.push({
    p:
      `${num(t.total)} transfers decided (${Object.entries(t.byKind).map(([k, n]) => `${num(n)} ${k}`).join(', ') || 'none'}): ` +
      `${num(t.byDecision.allow)} allowed, ${num(t.byDecision.flag)} flagged, ${num(t.byDecision.block)} blocked; ` +
      `${num(t.sent.transfers)} sent abroad with ${num(t.sent.records)} records and ${num(t.sent.bytes)} bytes. ` +
      `${num(t.enforceWouldBlock)} would have been blocked in enforce mode.`,
  });
  out.push({ head: ['decision', 'reason', 'transfers'], rows: t.byReason.map((r) => [r.decision, r.reason, num(r.transfers)]) });
  out.push({ h: 2, text: 'Business scenarios and routes (数据出境业务场景)' });
  out.push({ head: ['scenario', 'transfers'], rows: s.scenarios.map((x) => [x.scenario, num(x.transfers)]) });
  out.push({
    head: ['route', 'direction', 'domain', 'scenario', 'recipient', 'transfers', 'allow', 'flag', 'block'],
    rows: s.routes.map((r) => [r.route, r.direction, r.domain, r.scenario, r.recipient, num(r.transfers), num(r.allow), num(r.flag), num(r.block)]),
  });
  // A pull (an overseas party querying or downloading PI held in China) is export too (national rules, Counting).
  out.push({ head: ['direction', 'transfers', 'blocked', 'persons sent'], rows: s.directions.map((d) => [d.direction, num(d.transfers), num(d.blocked), num(d.persons)]) });
  out.push({ h: 2, text: 'Data items (出境数据目录)' });
  out.push({ head: ['data item', 'transfers', 'sent'], rows: s.dataItems.map((d) => [d.dataItem, num(d.transfers), num(d.sent)]) });
  out.push({ h: 2, text: 'Persons per counter (出境数据规模)' });
  out.push({
    p: 'Distinct persons whose data left in the period: persons of admitted transfers and backfills, and of transfers forwarded uncounted while the counter store was down. A counter holds the persons of its counting year.',
  });
  out.push({ head: ['year', 'counter', 'persons'], rows: s.persons.map((p) => [String(p.year), p.counter, num(p.persons)]) });
  out.push({ head: ['year', 'distinct persons, all counters'], rows: s.personsByYear.map((p) => [String(p.year), num(p.persons)]) });
  out.push({ h: 2, text: 'Overseas recipients and countries (境外接收方)' });
  out.push({
    head: ['recipient', 'country', 'transfers', 'blocked', 'persons'],
    rows: s.recipients.map((r) => [r.recipient, r.country, num(r.transfers), num(r.blocked), num(r.persons)]),
  });
  out.push({ head: ['country', 'transfers', 'persons'], rows: s.countries.map((c) => [c.country, num(c.transfers), num(c.persons)]) });
  out.push({ h: 2, text: 'Blocked and flagged transfers' });
  out.push({
    head: ['decision', 'reason', 'transfers'],
    rows: [...s.blocked.byReason.map((r) => ['block', r.reason, num(r.transfers)]), ...s.flagged.byReason.map((r) => ['flag', r.reason, num(r.transfers)])],
  });
  out.push({ head: ['notice', 'transfers'], rows: s.notices.map((x) => [x.code, num(x.transfers)]) });
  out.push({ h: 2, text: 'Upstream outcomes' });
  out.push({ head: ['upstream status', 'error code', 'outcomes'], rows: s.upstream.map((u) => [String(u.status), u.errorCode, num(u.outcomes)]) });
  return out;
}

function filingBlocks(s: Summary): Block[] {
  const out: Block[] = [{ h: 2, text: 'Filings: declared and observed' }];
  if (s.filings.length === 0) out.push({ p: 'No filing is configured.' });
  out.push({
    head: ['filing', 'kind', 'effective', 'expires', 'validity in the period', 'valid on', 'transfers covered', 'inconsistencies'],
    rows: s.filings.map((f) => [
      f.id,
      KIND_NAME[f.kind],
      f.effective,
      f.expires,
      f.validity.status,
      f.validity.validFrom ? `${f.validity.validFrom} – ${f.validity.validTo}` : 'no day of the period',
      num(f.observed.transfers),
      num(f.inconsistencies.length),
    ]),
  });
  for (const f of s.filings) {
    out.push({ h: 3, text: `${f.id} (${KIND_NAME[f.kind]}, ${f.effective} to ${f.expires}: ${f.validity.status})` });
    out.push({ head: ['line', 'declared', 'observed'], rows: declaredRows(f) });
    if (!f.declared) {
      out.push({ p: 'This filing declares nothing to compare (no `declared` in the config): no inconsistency can be checked.' });
      continue;
    }
    if (f.inconsistencies.length === 0) {
      out.push({ p: 'No inconsistency: every transfer it covered stayed within what it declared.' });
      continue;
    }
    out.push({
      head: ['inconsistency', 'subject', 'declared', 'observed', 'transfers', 'first', 'last'],
      rows: f.inconsistencies.map((x) => {
        const volume = x.kind === 'volume-over-declared';
        const [declared, observed] = volume ? [`at most ${num(Number(x.declared))}`, `${num(Number(x.observed))} persons`] : [x.declared, x.observed];
        return [INCONSISTENCY_NAME[x.kind], x.subject, declared, observed, num(x.transfers.length), x.transfers[0]?.time ?? '', x.transfers.at(-1)?.time ?? ''];
      }),
    });
    out.push({
      list: f.inconsistencies.map((x) => {
        const shown = x.transfers.slice(0, IDS_SHOWN).map((t) => `${t.transferId} (${t.chain} seq ${t.seq}, ${t.time})`);
        const more = x.transfers.length > IDS_SHOWN ? `; and ${num(x.transfers.length - IDS_SHOWN)} more (report.csv, summary.json)` : '';
        return `${INCONSISTENCY_NAME[x.kind]} ${x.subject}: ${shown.join('; ')}${more}`;
      }),
    });
  }
  return out;
}

function declaredRows(f: FilingSummary): string[][] {
  const d = f.declared;
  const o = f.observed;
  const list = (v: readonly string[] | null | undefined) => (v ? v.join(', ') : '(not declared)');
  return [
    ['scenarios', list(d?.scenarios), o.scenarios.join(', ')],
    ['data items', list(d?.dataItems), o.dataItems.join(', ')],
    ['recipients', list(d?.recipients), o.recipients.map((r) => `${r.recipient} (${r.country})`).join(', ')],
    ['persons', d?.maxPersons ? `at most ${num(d.maxPersons)}` : '(not declared)', o.personsCounter ? `${num(o.persons)} on ${o.personsCounter}` : '0'],
    ['transfers', '', o.transfers > 0 ? `${num(o.transfers)}, ${o.firstTime} to ${o.lastTime}` : '0'],
  ];
}

/** A table's rows; an empty table shows one row saying so. */
const rowsOf = (b: { readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] }): readonly (readonly string[])[] =>
  b.rows.length > 0 ? b.rows : [['(none)', ...b.head.slice(1).map(() => '')]];

/** The report as Markdown. */
export function renderMarkdown(s: Summary, m: ReportMeta): string {
  // Names come from the config: keep them from turning into table columns or HTML in a renderer.
  const text = (v: string) => v.replace(/</g, '&lt;').replace(/\r?\n/g, ' ');
  const cell = (v: string) => (v === '' ? ' ' : text(v).replace(/\\/g, '\\\\').replace(/\|/g, '\\|'));
  const lines: string[] = [];
  for (const b of document(s, m)) {
    if ('h' in b) lines.push(`${'#'.repeat(b.h)} ${b.text}`, '');
    else if ('p' in b) lines.push(b.p, '');
    else if ('list' in b) lines.push(...b.list.map((x) => `- ${text(x)}`), '');
    else lines.push(`| ${b.head.map(cell).join(' | ')} |`, `|${b.head.map(() => ' --- |').join('')}`, ...rowsOf(b).map((r) => `| ${r.map(cell).join(' | ')} |`), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

const esc = (v: string): string => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
/** `code` spans as Markdown writes them, in already-escaped text. */
const inline = (v: string): string => esc(v).replace(/`([^`]+)`/g, '<code>$1</code>');

const STYLE = `body{font:15px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}td{overflow-wrap:anywhere}code{font-size:.9em}@media print{body{margin:0;max-width:none}}`;

/** The report as one static HTML page: inline CSS, no scripts, nothing fetched (its CSP says so). */
export function renderHtml(s: Summary, m: ReportMeta): string {
  const body: string[] = [];
  for (const b of document(s, m)) {
    if ('h' in b) body.push(`<h${b.h}>${inline(b.text)}</h${b.h}>`);
    else if ('p' in b) body.push(`<p>${inline(b.p)}</p>`);
    else if ('list' in b) body.push(`<ul>\n${b.list.map((x) => `<li>${inline(x)}</li>`).join('\n')}\n</ul>`);
    else
      body.push(
        `<table>\n<thead><tr>${b.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${rowsOf(b)
          .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
          .join('\n')}\n</tbody>\n</table>`,
      );
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title(s, m))}</title>
<style>
${STYLE}
</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

/** CSV columns (RFC 4180, UTF-8 with a byte-order mark so spreadsheet programs read Chinese names). */
export const CSV_COLUMNS = ['section', 'filing', 'kind', 'subject', 'declared', 'observed', 'transfers', 'persons', 'first_time', 'last_time', 'transfer_ids'] as const;

/**
 * The report as CSV: one row per filing line (section `filing`), per inconsistency (section
 * `inconsistency`, every transfer id, space-separated) and per line of the activity tables.
 */
export function renderCsv(s: Summary): string {
  type Row = Partial<Record<(typeof CSV_COLUMNS)[number], string | number | null>>;
  const rows: Row[] = [];
  for (const f of s.filings) {
    const d = f.declared;
    const o = f.observed;
    const list = (v: readonly string[] | null | undefined) => (v ? v.join(' ') : '');
    const base = { section: 'filing', filing: f.id, transfers: o.transfers, first_time: o.firstTime, last_time: o.lastTime };
    rows.push({ ...base, kind: 'validity', subject: f.kind, declared: `${f.effective}/${f.expires}`, observed: f.validity.status });
    rows.push({ ...base, kind: 'scenarios', declared: list(d?.scenarios), observed: o.scenarios.join(' ') });
    rows.push({ ...base, kind: 'data-items', declared: list(d?.dataItems), observed: o.dataItems.join(' ') });
    rows.push({ ...base, kind: 'recipients', declared: (d?.recipients ?? []).join('; '), observed: o.recipients.map((r) => `${r.recipient} (${r.country})`).join('; ') });
    rows.push({ ...base, kind: 'max-persons', subject: o.personsCounter, declared: d?.maxPersons ?? '', observed: o.persons, persons: o.persons });
    for (const x of f.inconsistencies)
      rows.push({
        section: 'inconsistency',
        filing: f.id,
        kind: x.kind,
        subject: x.subject,
        declared: x.declared,
        observed: x.observed,
        transfers: x.transfers.length,
        first_time: x.transfers[0]?.time,
        last_time: x.transfers.at(-1)?.time,
        transfer_ids: x.transfers.map((t) => t.transferId).join(' '),
      });
  }
  for (const r of s.transfers.byReason) rows.push({ section: 'transfers', kind: r.decision, subject: r.reason, transfers: r.transfers });
  for (const p of s.persons) rows.push({ section: 'persons', kind: String(p.year), subject: p.counter, persons: p.persons });
  for (const r of s.recipients) rows.push({ section: 'recipient', subject: r.recipient, observed: r.country, transfers: r.transfers, persons: r.persons });
  for (const c of s.countries) rows.push({ section: 'country', subject: c.country, transfers: c.transfers, persons: c.persons });
  for (const r of s.routes) rows.push({ section: 'route', kind: r.scenario, subject: r.route, observed: r.recipient, transfers: r.transfers });
  for (const d of s.directions) rows.push({ section: 'direction', subject: d.direction, transfers: d.transfers, persons: d.persons });
  for (const d of s.dataItems) rows.push({ section: 'data-item', subject: d.dataItem, transfers: d.transfers });
  for (const r of s.blocked.byReason) rows.push({ section: 'blocked', subject: r.reason, transfers: r.transfers });
  for (const r of s.flagged.byReason) rows.push({ section: 'flagged', subject: r.reason, transfers: r.transfers });
  for (const u of s.upstream) rows.push({ section: 'upstream', kind: u.errorCode, subject: String(u.status), transfers: u.outcomes });
  const field = (v: string | number | null | undefined): string => {
    const text = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return `\ufeff${[CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => field(r[c])).join(','))].join('\r\n')}\r\n`;
}
