/**
 * The national rules' exemptions a route relies on (CAC Order No. 16, Arts. 3, 4 and 5(1)-(3)),
 * held against what each transfer actually carries. An exemption never covers important data
 * ("不包含重要数据", Arts. 3-5), and Art. 3 never covers personal information: a transfer whose content
 * contradicts its route's exemption is decided without it, and flagged (regs/national-rules.md,
 * "Exemptions").
 */
import type { Exemption } from '../config/schema.js';
import type { IndicatorHit, Notice } from '../types.js';

export const EXEMPTION_ARTICLE: Readonly<Record<Exemption, string>> = {
  'non-pi-trade-data': 'CAC Order No. 16, Art. 3',
  'collected-abroad': 'CAC Order No. 16, Art. 4',
  'contract-necessity': 'CAC Order No. 16, Art. 5(1)',
  'hr-management': 'CAC Order No. 16, Art. 5(2)',
  emergency: 'CAC Order No. 16, Art. 5(3)',
};

export interface ExemptionStatus {
  readonly basis: Exemption;
  /** Does the transfer fit the exemption? If not, it is decided as if the route had none. */
  readonly holds: boolean;
  /** Why not: the `exemption-contradicted` notice. */
  readonly notice: Notice | undefined;
}

/**
 * Does this transfer's content fit its route's exemption? `floors`: the important-data floors on
 * persons held its PI falls under (decide/index.ts floorsReached): that PI is important data too.
 */
export function assessExemption(
  basis: Exemption | undefined,
  persons: number,
  indicators: readonly IndicatorHit[],
  floors: readonly string[] = [],
): ExemptionStatus | undefined {
  if (!basis) return undefined;
  const against: string[] = [];
  if (basis === 'non-pi-trade-data' && persons > 0) against.push(`personal information of ${persons.toLocaleString('en-US')} persons, which Art. 3 does not cover`);
  if (indicators.length > 0) against.push(`possible important data (${[...new Set(indicators.map((h) => h.indicator))].join(', ')}), which no exemption covers`);
  if (floors.length > 0) against.push(`PI the company's holdings make important data (${floors.join('; ')}), which no exemption covers`);
  if (against.length === 0) return { basis, holds: true, notice: undefined };
  const article = EXEMPTION_ARTICLE[basis];
  return {
    basis,
    holds: false,
    notice: {
      code: 'exemption-contradicted',
      detail: `the route relies on the ${basis} exemption (${article}), but this transfer carries ${against.join(' and ')}: it was decided without the exemption`,
      citation: `${article}; Arts. 3-5 (exempted data never includes important data)`,
    },
  };
}
