/**
 * Which configured filing, if any, covers a rule's obligation for a route on a day. A filing
 * covers only while valid (effective ≤ day ≤ expires, China time), only its list, domains, items
 * and recipients, and only obligations its kind discharges. Also what a compliance officer must act
 * on about a filing in use: its deadlines in working days (calendar.ts) and transfers beyond what
 * it declared (material changes).
 */
import type { RawFiling } from '../config/schema.js';
import type { Rule } from '../policy/types.js';
import type { Notice } from '../types.js';
import { addWorkingDays, uncoveredYears } from './calendar.js';

export type Filing = RawFiling;

/**
 * Security assessment discharges both bands: it is the stricter mechanism for the same transfer.
 * Standard contract and certification discharge the contract band only (Order 16 Arts. 7-8).
 * A zone's own filing (positive lists; Fujian and Beijing 备案) discharges only rules that ask
 * for exactly that. Nothing discharges `prohibited`.
 */
const DISCHARGES: Record<Filing['kind'], readonly Rule['obligation'][]> = {
  'security-assessment': ['security-assessment', 'standard-contract-or-certification'],
  'standard-contract': ['standard-contract-or-certification'],
  certification: ['standard-contract-or-certification'],
  'ftz-filing': ['ftz-filing'],
  // Export-controlled items need the Export Control Law's licence, not a data-export mechanism
  // (Guangxi FTZ negative list 2025, 说明四; Fujian Art. 22; Jiangsu Art. 23; Beijing Art. 23).
  'export-licence': ['export-control'],
};

/** The filing kinds that would discharge an obligation: what would let a refused transfer pass (none for core data). */
export function remediesFor(obligation: Rule['obligation']): Filing['kind'][] {
  return (Object.keys(DISCHARGES) as Filing['kind'][]).filter((kind) => DISCHARGES[kind].includes(obligation));
}

export function coveringFiling(
  rule: Pick<Rule, 'obligation' | 'list' | 'domain' | 'item'>,
  filings: readonly Filing[],
  recipient: string,
  day: string,
): Filing | undefined {
  return filings.find(
    (f) =>
      f.effective <= day &&
      day <= f.expires &&
      DISCHARGES[f.kind].includes(rule.obligation) &&
      f.covers.list === rule.list &&
      (f.covers.domains === undefined || f.covers.domains.includes(rule.domain)) &&
      (f.covers.items === undefined || f.covers.items.includes(rule.item)) &&
      (f.covers.recipients === undefined || f.covers.recipients.includes(recipient)),
  );
}

/** Extension window: the last 60 working days before expiry (Order 16 Art. 9; Fujian FTZ measures Art. 13). */
const RENEWAL_WORKING_DAYS = 60;
/** A standard contract is filed within 10 working days after it takes effect (Order 13 Art. 7). */
const FILING_DUE_WORKING_DAYS = 10;
/**
 * Calendar days either side of a date estimated over a year the holiday package does not know
 * (calendar.ts) within which the real date may fall: the estimate leaves out the lunar holidays
 * (春节's break alone is 9 days) and the 调休 weekends.
 */
const ESTIMATE_MARGIN_DAYS = 14;

const RENEWAL_CITATION: Partial<Record<Filing['kind'], string>> = {
  'security-assessment': 'CAC Order No. 16, Art. 9 (extension applied for within the last 60 working days before expiry)',
  // Beijing's measures give zone filings a 3-year term but no extension window (Art. 11(二)):
  // Fujian's window is the only one written down, so it is the reminder for every zone filing.
  'ftz-filing': 'Fujian FTZ measures, Art. 13 (extension applied for within the last 60 working days before expiry)',
};
const FILING_DUE_CITATION = 'CAC Order No. 13, Art. 7 (filed within 10 working days after the contract takes effect)';
const CALENDAR_CITATION = '全国年节及纪念日放假办法 (2024 revision), Art. 2, and the State Council holiday notice for the year';

const KIND_NAME: Record<Filing['kind'], string> = {
  'security-assessment': 'security assessment',
  'standard-contract': 'standard contract',
  certification: 'certification',
  'ftz-filing': 'zone filing',
  'export-licence': 'export licence',
};

/**
 * Deadline notices for a filing on `day` (only while effective ≤ day ≤ expires): a security
 * assessment's or zone filing's renewal window, a standard contract not filed (or filed late), and
 * `holiday-calendar-unknown` when such a date was estimated over an uncovered year and matters today.
 */
export function filingDeadlines(filing: Filing, day: string): Notice[] {
  if (day < filing.effective || day > filing.expires) return [];
  if (filing.kind === 'standard-contract') return filingDue(filing, day);
  const citation = RENEWAL_CITATION[filing.kind];
  return citation ? renewalWindow(filing, day, citation) : [];
}

/*
 * `holiday-calendar-unknown` goes with a notice whose date was estimated over an uncovered year, and
 * on its own only when today's answer could differ: the day counted from (or the filing date) lies
 * within ESTIMATE_MARGIN_DAYS of the estimated date and the days that decide it reach such a year.
 * Far from the date the answer stands whatever the calendar, and the filing in use is not flagged.
 */

function renewalWindow(filing: Filing, day: string, citation: string): Notice[] {
  const opens = memo(windowOpens, filing.expires, () => addWorkingDays(filing.expires, -RENEWAL_WORKING_DAYS));
  if (day >= opens)
    return [
      {
        code: 'filing-renewal-window',
        detail: `${KIND_NAME[filing.kind]} ${filing.id} expires ${filing.expires}; its extension may be applied for from ${opens} (the last ${RENEWAL_WORKING_DAYS} working days before expiry)`,
        citation,
        filing: filing.id,
      },
      ...calendarUnknown(filing, uncoveredYears(opens, filing.expires), `the renewal window's opening ${opens}`),
    ];
  return daysFrom(day, opens) <= ESTIMATE_MARGIN_DAYS ? calendarUnknown(filing, uncoveredYears(day, filing.expires), `the renewal window's opening ${opens}`) : [];
}

function filingDue(filing: Filing, day: string): Notice[] {
  const due = memo(filingDueBy, filing.effective, () => addWorkingDays(filing.effective, FILING_DUE_WORKING_DAYS));
  const took = `standard contract ${filing.id} took effect ${filing.effective}; it had to be filed by ${due} (${FILING_DUE_WORKING_DAYS} working days)`;
  // A filing date still to come is not a filing yet.
  const filedOn = filing.filedOn !== undefined && filing.filedOn <= day ? filing.filedOn : undefined;
  const estimated = () => calendarUnknown(filing, uncoveredYears(filing.effective, due), `the filing deadline ${due}`);
  if (filedOn === undefined && day > due)
    return [
      { code: 'filing-overdue', detail: `${took} and has ${filing.filedOn === undefined ? 'no filing date' : `not been filed by ${day}`}`, citation: FILING_DUE_CITATION, filing: filing.id },
      ...estimated(),
    ];
  if (filedOn !== undefined && filedOn > due)
    return [{ code: 'filing-overdue', detail: `${took} and was filed late, on ${filedOn}`, citation: FILING_DUE_CITATION, filing: filing.id }, ...estimated()];
  // On time so far (still awaiting filing, or filed by the estimated date): uncertain only near the date.
  const asOf = filedOn ?? day;
  return daysFrom(asOf, due) <= ESTIMATE_MARGIN_DAYS ? calendarUnknown(filing, uncoveredYears(filing.effective, asOf), `the filing deadline ${due}`) : [];
}

function calendarUnknown(filing: Filing, years: readonly number[], what: string): Notice[] {
  if (years.length === 0) return [];
  return [
    {
      code: 'holiday-calendar-unknown',
      detail: `the holiday calendar for ${years.join(', ')} is not known to this build, so ${what} of ${KIND_NAME[filing.kind]} ${filing.id} is an estimate (Monday–Friday less 1 January, 1–2 May and 1–3 October)`,
      citation: CALENDAR_CITATION,
      filing: filing.id,
    },
  ];
}

const windowOpens = new Map<string, string>();
const filingDueBy = new Map<string, string>();
const memo = (cache: Map<string, string>, key: string, compute: () => string): string => {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = compute()));
  return v;
};

/** Calendar days from `a` to `b` (negative when b is earlier). */
const daysFrom = (a: string, b: string): number => (Date.parse(b) - Date.parse(a)) / 86_400_000;

/** What a transfer under a filing looks like: the route's scenario and recipient, its data items, the persons on the filing's counter after it. */
export interface Observed {
  readonly scenario: string;
  readonly recipient: string;
  readonly dataItems: readonly string[];
  /** The value, after this transfer, of the counter whose rule the filing covers. */
  readonly persons: number;
  /** That counter's name, for the volume notice; optional. */
  readonly counter?: string | undefined;
}

type Change = 'volume' | 'items' | 'recipient' | 'scenario';

/**
 * What a material change means for each mechanism, as the texts say it. Fujian Art. 13 names the
 * changes (purpose, manner, scope, 出境数据量级大幅度增加, 境外接收方发生重大变化) that need a new filing;
 * Beijing Art. 11(二) asks for the filing to be updated whenever the transfer changes.
 */
const CHANGE_CITATION: Record<Filing['kind'], (c: Change) => string> = {
  'ftz-filing': (c) =>
    `Fujian FTZ measures, Art. 13 (${FUJIAN_CHANGE[c]}: a new filing); Beijing two-zones measures, Art. 11(二) (filing updated when the transfer changes)`,
  'standard-contract': () => 'CAC Order No. 13 (a standard contract is re-filed on material change)',
  'security-assessment': () => 'CAC Order No. 16, Art. 9 (the result extends only if nothing requiring re-declaration happened)',
  certification: () => 'CAC/SAMR personal information certification measures (a certificate covers the transfers it was granted for; interpretation)',
  'export-licence': () => 'Export Control Law (a licence covers the items and end user it names; interpretation)',
};
const FUJIAN_CHANGE: Record<Change, string> = {
  volume: '出境数据量级大幅度增加, a large increase in volume',
  items: '范围发生重大变化, a change of scope',
  recipient: '境外接收方发生重大变化, a changed recipient',
  scenario: '目的、方式发生重大变化, a change of purpose or manner',
};

/**
 * `material-change` notices for a transfer beyond what the filing declared: more persons than
 * `declared.maxPersons`, undeclared data items, recipient or scenario. Absent declared fields check
 * nothing; no declared side, no notices. Whether the change is material is the company's call
 * (Fujian Art. 13: "按照配套实施指南判断"), so the transfer is flagged, never blocked, for it.
 */
export function materialChanges(filing: Filing, observed: Observed): Notice[] {
  const declared = filing.declared;
  if (!declared) return [];
  const out: Notice[] = [];
  const notice = (change: Change, detail: string, counter?: string): void => {
    out.push({ code: 'material-change', detail: `${detail} (a possible material change)`, citation: CHANGE_CITATION[filing.kind](change), filing: filing.id, ...(counter ? { counter } : {}) });
  };
  const name = `${KIND_NAME[filing.kind]} ${filing.id}`;
  if (declared.maxPersons !== undefined && observed.persons > declared.maxPersons)
    notice(
      'volume',
      `${name} declared at most ${n(declared.maxPersons)} persons; ${observed.counter ?? 'its counter'} holds ${n(observed.persons)} with this transfer`,
      observed.counter,
    );
  const items = declared.dataItems;
  const undeclared = items ? [...new Set(observed.dataItems.filter((i) => !items.includes(i)))] : [];
  if (undeclared.length > 0) notice('items', `${name} did not declare the data items ${undeclared.join(', ')}, which this transfer carries`);
  if (declared.recipients && !declared.recipients.includes(observed.recipient))
    notice('recipient', `${name} declared the recipients ${declared.recipients.join(', ')}; this transfer goes to ${observed.recipient}`);
  if (declared.scenarios && !declared.scenarios.includes(observed.scenario))
    notice('scenario', `${name} declared the scenarios ${declared.scenarios.join(', ')}; this transfer's route is in ${observed.scenario}`);
  return out;
}

const n = (v: number): string => v.toLocaleString('en-US');
