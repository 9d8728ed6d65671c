/**
 * What fires: pure functions from a transfer event (or a day, for filings) and the keys already
 * fired to the alerts due now. No I/O, no clock: the alerter (index.ts) gives the time and keeps
 * the keys. Each alert has a once-only key; when one event reaches several levels at once, only
 * the highest fires and the lower ones are marked fired with it (`subsumes`), so a counter loaded
 * past 80% in one go says "80%" once, not "50%" and "80%".
 */
import { createHash, randomBytes } from 'node:crypto';
import { chinaDay, chinaYear } from '../clock.js';
import { addWorkingDays } from '../decide/calendar.js';
import { coveringFiling, filingDeadlines, type Filing } from '../decide/filings.js';
import { appliesToCompany, describeThreshold } from '../decide/index.js';
import type { TransferEvent } from '../observability/events.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import type { Rule } from '../policy/types.js';
import { counterLevelText, emergencyText, filingExpiryText, materialChangeText, policyDivergenceText, renewalWindowText, storeFailureText } from './text.js';
import type { Alert, AlertSeverity } from './types.js';

/** What the rules read of the policy snapshot. */
export type AlertSnapshot = Pick<PolicySnapshot, 'routes' | 'filings' | 'ciio' | 'ciioRules'>;

/** An alert to send (if any) and the keys to mark fired with it, silently. */
export interface Candidate {
  readonly alert: Alert | undefined;
  readonly subsumes: readonly string[];
}

type Fired = (key: string) => boolean;

const base = (time: Date, gatewayId: string) => ({
  level: null,
  counter: null,
  threshold: null,
  value: null,
  attempted: null,
  item: null,
  filing: null,
  citation: null,
  year: null,
  time: time.toISOString(),
  gatewayId,
});

/**
 * Counter levels. For each counter the event planned on, each rule on it that applies to the
 * company and that no valid filing covers for the route's recipient on the event's day, and each
 * level (a share of the rule's `min`), the level is reached when the counter's real value — `after`
 * if the transfer was admitted, `before` if it was refused (a refused transfer adds nobody) — is at
 * or past ⌈level × min⌉. The 100% level is reached when the counter really got there (monitor
 * mode, or persons admitted for a recipient a filing covers) or when a transfer was refused for
 * this very threshold (its citation in the decision). Levels below 100% that round to `min` itself
 * (thresholds of a handful of persons) are skipped; a counter past the rule's `max` is the next
 * rule's business.
 */
export function counterLevels(event: TransferEvent, snapshot: AlertSnapshot, levels: readonly number[], gatewayId: string, fired: Fired): Candidate[] {
  const route = snapshot.routes.get(event.line.route);
  if (!route) return [];
  const day = chinaDay(event.time);
  const year = chinaYear(event.time);
  const out: Candidate[] = [];
  for (const d of event.counters) {
    const rules = [...(route.counters.get(d.counter)?.rules ?? []), ...snapshot.ciioRules.filter((r) => r.counter === d.counter)];
    const value = event.admitted ? d.after : d.before;
    for (const rule of new Set(rules)) {
      if (!appliesToCompany(rule, snapshot.ciio) || rule.min <= 0) continue;
      if (rule.max !== undefined && value >= rule.max) continue;
      if (coveringFiling(rule, snapshot.filings, event.recipient.name, day)) continue;
      const threshold = describeThreshold(rule);
      const refused = !event.admitted && event.decision.rules.some((c) => c.counter === d.counter && c.list === rule.list && c.domain === rule.domain && c.item === rule.item && c.threshold === threshold && c.filing === undefined);
      const reached = levels.filter((l) => (l >= 1 ? value >= rule.min || refused : Math.ceil(l * rule.min) < rule.min && value >= Math.ceil(l * rule.min)));
      const top = reached.at(-1);
      if (top === undefined) continue;
      const key = (l: number) => `counter-level|${year}|${d.counter}|${rule.list}/${rule.domain}#${rule.item}|${rule.min}|${l}`;
      const lower = reached.slice(0, -1).map(key).filter((k) => !fired(k));
      if (fired(key(top))) {
        if (lower.length > 0) out.push({ alert: undefined, subsumes: lower });
        continue;
      }
      const facts = {
        counter: d.counter,
        year,
        value,
        level: top,
        threshold,
        list: rule.list,
        domain: rule.domain,
        item: rule.item,
        obligation: rule.obligation,
        citation: rule.citation,
        // "Refused" only when the counter is not really there: in monitor mode it is.
        refused: refused && value < rule.min ? { route: event.line.route, before: d.before, after: d.after } : undefined,
      };
      out.push({
        alert: {
          ...base(event.time, gatewayId),
          id: key(top),
          kind: 'counter-level',
          severity: top >= 1 ? 'critical' : top >= 0.9 ? 'warning' : 'info',
          level: top,
          counter: d.counter,
          threshold,
          value,
          attempted: facts.refused ? d.after : null,
          item: itemOf(rule),
          citation: rule.citation,
          year,
          text: counterLevelText(facts),
        },
        subsumes: lower,
      });
    }
  }
  return out;
}

const itemOf = (rule: Rule) => ({ list: rule.list, domain: rule.domain, number: rule.item, obligation: rule.obligation });

/** Extension window: the last 60 working days before expiry (CAC Order 16 Art. 9; Fujian FTZ measures Art. 13); as filings.ts. */
const RENEWAL_WORKING_DAYS = 60;

/**
 * Filing alerts on `day` (China time): `filingDays` calendar days before `expires` (the most urgent
 * reached fires; an expired filing says nothing more), and the renewal window of a security
 * assessment or zone filing as decide/filings.ts computes it in working days.
 */
export function filingAlerts(filings: readonly Filing[], day: string, filingDays: readonly number[], now: Date, gatewayId: string, fired: Fired): Candidate[] {
  const out: Candidate[] = [];
  for (const filing of filings) {
    if (day > filing.expires) continue;
    const daysLeft = Math.round((Date.parse(filing.expires) - Date.parse(day)) / 86_400_000);
    const reached = [...filingDays].sort((a, b) => b - a).filter((d) => daysLeft <= d);
    const top = reached.at(-1);
    if (top !== undefined) {
      const key = (d: number) => `filing-expiry|${filing.id}|${filing.expires}|${d}`;
      const lower = reached.slice(0, -1).map(key).filter((k) => !fired(k));
      const severity: AlertSeverity = top <= 7 ? 'critical' : top <= 30 ? 'warning' : 'info';
      out.push(
        fired(key(top))
          ? { alert: undefined, subsumes: lower }
          : {
              alert: { ...base(now, gatewayId), id: key(top), kind: 'filing-expiry', severity, level: top, value: daysLeft, filing: filing.id, text: filingExpiryText(filing, top, daysLeft) },
              subsumes: lower,
            },
      );
    }
    const window = filingDeadlines(filing, day).find((x) => x.code === 'filing-renewal-window');
    const key = `filing-renewal-window|${filing.id}|${filing.expires}`;
    if (window && !fired(key)) {
      const opens = addWorkingDays(filing.expires, -RENEWAL_WORKING_DAYS);
      out.push({
        alert: { ...base(now, gatewayId), id: key, kind: 'filing-renewal-window', severity: 'warning', filing: filing.id, citation: window.citation, text: renewalWindowText(filing, opens, window.citation) },
        subsumes: [],
      });
    }
  }
  return out.filter((c) => c.alert || c.subsumes.length > 0);
}

/**
 * A `material-change` notice: once per filing, kind of change and year. The key is the notice's
 * sentence with its numbers taken out, so a volume that keeps growing says so once, while another
 * undeclared recipient or data item is a new alert.
 */
export function materialChanges(event: TransferEvent, gatewayId: string, fired: Fired): Candidate[] {
  const year = chinaYear(event.time);
  const out: Candidate[] = [];
  for (const notice of event.decision.notices ?? []) {
    if (notice.code !== 'material-change') continue;
    const shape = createHash('sha256').update(notice.detail.replace(/[\d,.]+/g, '#')).digest('hex').slice(0, 16);
    const id = `material-change|${year}|${notice.filing ?? ''}|${shape}`;
    if (fired(id) || out.some((c) => c.alert?.id === id)) continue;
    out.push({
      alert: {
        ...base(event.time, gatewayId),
        id,
        kind: 'material-change',
        severity: 'warning',
        counter: notice.counter ?? null,
        filing: notice.filing ?? null,
        citation: notice.citation,
        year,
        text: materialChangeText(notice.filing ?? '', notice.detail, notice.citation),
      },
      subsumes: [],
    });
  }
  return out;
}

/** The error code of an event whose counter store failed, if it did. */
export const storeFailureCode = (event: TransferEvent): string | undefined => (event.line.errorCode?.startsWith('XB_STORE_') ? event.line.errorCode : undefined);

/** A store-failure alert for `code` (rate-limited by the alerter, not here). */
export function storeFailure(code: string, time: Date, gatewayId: string): Alert {
  return { ...base(time, gatewayId), id: `store-failure|${code}|${time.toISOString()}|${unique()}`, kind: 'store-failure', severity: 'critical', text: storeFailureText(gatewayId, code) };
}

/**
 * Replicas on different policy revisions (control/replicas.ts): once per set of revisions live
 * together, so a rolling update alerts once, and a second one (another set) again.
 */
export function policyDivergence(replicas: readonly { readonly gatewayId: string; readonly policyRevision: string }[], time: Date, gatewayId: string, fired: Fired): Candidate[] {
  const revisions = [...new Set(replicas.map((r) => r.policyRevision))].sort();
  if (revisions.length < 2) return [];
  const id = `policy-divergence|${createHash('sha256').update(revisions.join(',')).digest('hex').slice(0, 16)}`;
  if (fired(id)) return [];
  return [{ alert: { ...base(time, gatewayId), id, kind: 'policy-divergence', severity: 'warning', value: revisions.length, text: policyDivergenceText(gatewayId, replicas) }, subsumes: [] }];
}

/** An emergency-stop or -resume alert: each one its own (its key is unique). */
export function emergency(kind: 'stop' | 'resume', by: string, reason: string | undefined, time: Date, gatewayId: string): Alert {
  return {
    ...base(time, gatewayId),
    id: `emergency-${kind}|${time.toISOString()}|${unique()}`,
    kind: kind === 'stop' ? 'emergency-stop' : 'emergency-resume',
    severity: kind === 'stop' ? 'critical' : 'info',
    text: emergencyText(kind, gatewayId, by, reason),
  };
}

/** Events that happen rather than reach a level are each their own alert. */
const unique = (): string => randomBytes(4).toString('hex');
