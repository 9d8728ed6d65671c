/**
 * Packs as people read them: `xborder policy explain ITEM` and the item table in docs/policy.md.
 * Both read the validated packs (the compiled policy drops the texts).
 */
import { describeThreshold } from '../decide/index.js';
import { XbError } from '../errors.js';
import type { ValidatedPack } from './load.js';
import type { PackDomain, PackItem } from './schema.js';

const OBLIGATION: Record<PackItem['obligation'], string> = {
  'security-assessment': 'security assessment (数据出境安全评估)',
  'standard-contract-or-certification': 'standard contract or certification (个人信息出境标准合同备案 / 个人信息保护认证)',
  'ftz-filing': "the zone's own filing (自贸试验区备案)",
  prohibited: 'prohibited: may not leave (禁止出境)',
  'export-control': 'an export licence under the Export Control Law (出口管制许可)',
};

interface Found {
  pack: ValidatedPack;
  domain: PackDomain;
  item: PackItem;
}

/** `list/domain#N` (or `list/domain/N`) → the item, or XB_POLICY_INVALID naming what exists. */
export function findItem(packs: readonly ValidatedPack[], ref: string): Found {
  const m = /^([a-z0-9-]+)\/([a-z0-9-]+)[#/](\d+)$/.exec(ref);
  if (!m) throw new XbError('XB_POLICY_INVALID', `item reference ${ref} is not list/domain#number, e.g. guangxi-2025/live-commerce#6`);
  const [, list, domainId, number] = m;
  const pack = packs.find((p) => p.list?.id === list);
  if (!pack) throw new XbError('XB_POLICY_INVALID', `no pack defines list ${list}; lists: ${packs.flatMap((p) => (p.list ? [p.list.id] : [])).join(', ')}`);
  const domain = pack.domains?.find((d) => d.id === domainId);
  if (!domain) throw new XbError('XB_POLICY_INVALID', `list ${list} has no domain ${domainId}; domains: ${(pack.domains ?? []).map((d) => d.id).join(', ')}`);
  const item = domain.items.find((i) => i.number === Number(number));
  if (!item) throw new XbError('XB_POLICY_INVALID', `${list}/${domainId} has no item ${number}; items: ${domain.items.map((i) => i.number).join(', ')}`);
  return { pack, domain, item };
}

export function explainItem({ pack, domain, item }: Found): string {
  const list = pack.list;
  const scenarioName = (id: string) => {
    const s = domain.scenarios === 'any' ? undefined : domain.scenarios.find((x) => x.id === id);
    return s ? `${s.zh} (${s.en})` : id;
  };
  const dataItemName = (id: string) => {
    const d = domain.dataItems.find((x) => x.id === id);
    return d ? `${d.name.zh} (${d.name.en})` : id;
  };
  const lines = [
    `${item.citation}  [${list?.id}/${domain.id}#${item.number}]`,
    `List:        ${list?.title.zh}`,
    `             ${list?.title.en} — ${list?.polarity} list, version ${list?.version}${list?.batch ? `, batch ${list.batch}` : ''}${list?.effective ? `, effective ${list.effective === 'on-publication' ? 'on publication' : list.effective}` : ''}`,
    `Domain:      ${domain.name.zh} / ${domain.name.en} (${domain.citation})`,
    `Kind:        ${item.kind === 'personal-information' ? 'personal information (个人信息)' : 'important data (重要数据)'}`,
    `Obligation:  ${OBLIGATION[item.obligation]}`,
    `Scenarios:   ${scenariosText(item, scenarioName)}`,
  ];
  if (item.companies) lines.push(`Companies:   ${item.companies === 'ciio' ? 'critical information infrastructure operators only' : 'all but critical information infrastructure operators'}`);
  if (item.dataItems) lines.push(`Limited to:  ${item.dataItems.map(dataItemName).join(', ')}`);
  for (const t of item.thresholds ?? []) lines.push(`Threshold:   persons on ${list?.id}/${domain.id}/${t.counter} since 1 January (China time): ${describeThreshold(t)}`);
  if (item.thresholds && list) lines.push(`             persons sent under an exemption ${list.exemptPersonsCount ? 'count' : 'do not count'} toward it`);
  if (item.indicators) {
    const names = item.indicators.map((id) => domain.indicators?.find((i) => i.id === id)?.name.zh ?? id);
    lines.push(`Found by:    indicators ${names.join(', ')} — ${item.onIndicator === 'review' ? 'flagged for review' : 'the obligation applies'}`);
  }
  for (const f of item.floors ?? []) lines.push(`Floor:       ${f.min.toLocaleString('en-US')} persons' ${f.held} held${f.ciioOnly ? ' (CIIO)' : ''}`);
  if (item.characteristics) lines.push(`Describes:   ${item.characteristics.zh}`, `             ${item.characteristics.en}`);
  for (const e of item.exclusions ?? []) lines.push(`Excludes:    ${e.zh}`, `             ${e.en}`);
  lines.push(`Text:        ${item.text}`, `Pack:        ${pack.file} (sha256 ${pack.digest.slice(0, 16)}…)`);
  return lines.join('\n');
}

function scenariosText(item: PackItem, name: (id: string) => string): string {
  if (item.scenarios === 'all') return 'all scenarios (包括所有场景)';
  if (Array.isArray(item.scenarios)) return item.scenarios.map(name).join(', ');
  return `every scenario except those of item ${item.scenarios.except.join(', ')}`;
}

/** Markdown table of every item of every list pack: the table in docs/policy.md. */
export function itemTable(packs: readonly ValidatedPack[]): string {
  const rows = [
    '| item | kind | obligation | scenarios | counter: threshold | citation |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  for (const pack of packs) {
    if (!pack.list) continue;
    for (const domain of pack.domains ?? []) {
      for (const item of domain.items) {
        const thresholds = [
          ...(item.thresholds ?? []).map((t) => `${t.counter}: ${describeThreshold(t)}`),
          ...(item.indicators ? [`indicators (${item.onIndicator ?? 'block'})`] : []),
          ...(item.floors ?? []).map((f) => `held ${f.held} ≥ ${f.min.toLocaleString('en-US')}${f.ciioOnly ? ' (CIIO)' : ''}`),
        ];
        const scenarios = item.scenarios === 'all' ? 'all' : Array.isArray(item.scenarios) ? item.scenarios.join(', ') : `all but item ${item.scenarios.except.join(', ')}'s`;
        rows.push(
          `| \`${pack.list.id}/${domain.id}#${item.number}\` | ${item.kind === 'personal-information' ? 'PI' : 'important data'} | ${item.obligation}${item.companies ? ` (${item.companies})` : ''} | ${cell(scenarios)} | ${cell(thresholds.join('; '))} | ${cell(item.citation)} |`,
        );
      }
    }
  }
  return rows.join('\n');
}

const START = '<!-- items:start (generated by `npm run docs:policy`; do not edit by hand) -->';
const END = '<!-- items:end -->';

/** Replace the generated table between the markers of a Markdown document. */
export function withItemTable(markdown: string, packs: readonly ValidatedPack[]): string {
  const a = markdown.indexOf(START);
  const b = markdown.indexOf(END);
  if (a === -1 || b === -1 || b < a) throw new XbError('XB_POLICY_INVALID', `the document has no ${START} … ${END} section for the item table`);
  return `${markdown.slice(0, a + START.length)}\n\n${itemTable(packs)}\n\n${markdown.slice(b)}`;
}
