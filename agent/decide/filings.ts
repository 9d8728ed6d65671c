/**
 * Which configured filing, if any, covers a rule's obligation for a route on a day. A filing
 * covers only while valid (effective ≤ day ≤ expires, China time), only its list, domains, items
 * and recipients, and only obligations its kind discharges.
 */
import type { RawFiling } from '../config/schema.js';
import type { Rule } from '../policy/types.js';

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
};

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
