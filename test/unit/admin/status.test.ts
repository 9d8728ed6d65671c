/** Filings expiring within 90 days, as /api/status lists them (agent/admin/status.ts). */
import { describe, expect, it } from 'vitest';
import { filingsExpiring } from '../../../agent/admin/status.js';
import type { Filing } from '../../../agent/decide/filings.js';

const filing = (id: string, expires: string): Filing => ({ id, kind: 'standard-contract', covers: { list: 'guangxi-2025' }, effective: '2025-01-01', expires });

describe('filingsExpiring', () => {
  it('lists filings expiring today up to 90 days ahead, soonest first; not expired ones, not later ones', () => {
    const filings = [filing('later', '2026-08-09'), filing('edge', '2026-08-08'), filing('today', '2026-05-10'), filing('expired', '2026-05-09'), filing('soon', '2026-06-01')];
    expect(filingsExpiring(filings, '2026-05-10')).toEqual([
      { id: 'today', kind: 'standard-contract', expires: '2026-05-10', daysLeft: 0 },
      { id: 'soon', kind: 'standard-contract', expires: '2026-06-01', daysLeft: 22 },
      { id: 'edge', kind: 'standard-contract', expires: '2026-08-08', daysLeft: 90 },
    ]);
  });
});
