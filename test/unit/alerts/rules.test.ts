/**
 * What fires (agent/alerts/rules.ts), as rows a compliance officer can read: where the counter
 * stood, what the transfer added, what was already fired → the alert, and the lower levels it
 * marks fired with it. Over the real Guangxi 2025 live-commerce counters:
 *
 *   item 4  limited   n ≥ 2,000,000                      security assessment
 *   item 6  limited   100,000 ≤ n < 2,000,000             standard contract or certification
 *   item 7  sensitive 1 ≤ n < 10,000                      standard contract or certification
 *
 * Levels (default): 50%, 80%, 90%, 95%, 100% of a threshold's min.
 */
import { describe, expect, it } from 'vitest';
import { counterLevels, filingAlerts, materialChanges, type Candidate } from '../../../agent/alerts/rules.js';
import type { Filing } from '../../../agent/decide/filings.js';
import type { Notice } from '../../../agent/types.js';
import { eventOf, LIMITED, NOW, RECIPIENT, SENSITIVE, snapshotWith, type Move } from './support.js';

const LEVELS = [0.5, 0.8, 0.9, 0.95, 1];
const key = (item: number, min: number, level: number, year = 2026, counter = LIMITED) => `counter-level|${year}|${counter}|guangxi-2025/live-commerce#${item}|${min}|${level}`;
const item6 = (level: number) => key(6, 100_000, level);

/** The ids of the alerts, and everything subsumed, for a transfer. */
function fire(moves: Move[], fired: string[] = [], opts: Parameters<typeof eventOf>[1] & { filingsInSnapshot?: Filing[] } = {}): { alerts: string[]; subsumed: string[]; candidates: Candidate[] } {
  const set = new Set(fired);
  const candidates = counterLevels(eventOf(moves, opts), snapshotWith(opts.filingsInSnapshot ?? opts.filings ?? []), LEVELS, 'gw-1', (k) => set.has(k));
  return { alerts: candidates.flatMap((c) => (c.alert ? [c.alert.id] : [])), subsumed: candidates.flatMap((c) => c.subsumes), candidates };
}

const contract6 = (recipients?: string[]): Filing => ({
  id: 'SC-6',
  kind: 'standard-contract',
  covers: { list: 'guangxi-2025', domains: ['live-commerce'], items: [6], ...(recipients ? { recipients } : {}) },
  effective: '2026-01-05',
  filedOn: '2026-01-09',
  expires: '2029-01-04',
});

describe('counter levels', () => {
  const rows: { says: string; moves: Move[]; fired?: string[]; alerts: string[]; subsumed: string[] }[] = [
    { says: '49,990 + 10 reaches 50,000: the 50% alert', moves: [{ counter: LIMITED, before: 49_990, added: 10 }], alerts: [item6(0.5)], subsumed: [] },
    { says: '49,980 + 10 stays below 50%: nothing', moves: [{ counter: LIMITED, before: 49_980, added: 10 }], alerts: [], subsumed: [] },
    {
      says: '79,990 + 20 → 80,010, nothing fired yet: 80% fires, 50% is marked fired with it (one message, the highest)',
      moves: [{ counter: LIMITED, before: 79_990, added: 20 }],
      alerts: [item6(0.8)],
      subsumed: [item6(0.5)],
    },
    { says: '80,010 + 20 with 50% and 80% fired: nothing new', moves: [{ counter: LIMITED, before: 80_010, added: 20 }], fired: [item6(0.5), item6(0.8)], alerts: [], subsumed: [] },
    {
      says: 'a transfer that adds nobody still shows where the counter is: 95,000 + 0 with 80% fired → 95%',
      moves: [{ counter: LIMITED, before: 95_000, added: 0 }],
      fired: [item6(0.5), item6(0.8)],
      alerts: [item6(0.95)],
      subsumed: [item6(0.9)],
    },
    {
      says: '99,990 + 20 is refused for item 6: the 100% alert (95% with it); the counter stays at 99,990',
      moves: [{ counter: LIMITED, before: 99_990, added: 20 }],
      fired: [item6(0.5), item6(0.8), item6(0.9)],
      alerts: [item6(1)],
      subsumed: [item6(0.95)],
    },
    {
      says: 'refused again later: nothing',
      moves: [{ counter: LIMITED, before: 99_990, added: 5 }],
      fired: [item6(0.5), item6(0.8), item6(0.9), item6(0.95), item6(1)],
      alerts: [],
      subsumed: [],
    },
    {
      says: 'past item 6 (2,000,000 and more), item 6 says nothing; item 4 (n ≥ 2,000,000) is at 100%',
      moves: [{ counter: LIMITED, before: 2_000_001, added: 0 }],
      fired: [],
      alerts: [key(4, 2_000_000, 1)],
      subsumed: [key(4, 2_000_000, 0.5), key(4, 2_000_000, 0.8), key(4, 2_000_000, 0.9), key(4, 2_000_000, 0.95)],
    },
    {
      says: 'a threshold of one person (item 7, sensitive 1 ≤ n < 10,000): its levels below 100% round to the threshold and are skipped; refused → 100%',
      moves: [{ counter: SENSITIVE, before: 0, added: 1 }],
      alerts: [key(7, 1, 1, 2026, SENSITIVE)],
      subsumed: [],
    },
  ];
  for (const row of rows) {
    it(row.says, () => {
      const { alerts, subsumed } = fire(row.moves, row.fired);
      expect(alerts).toEqual(row.alerts);
      expect(subsumed).toEqual(row.subsumed);
    });
  }

  it('the refused transfer: value is the real count, attempted what it would have reached; the text says it was refused', () => {
    const [c] = fire([{ counter: LIMITED, before: 99_990, added: 20 }]).candidates;
    expect(c?.alert).toMatchObject({
      kind: 'counter-level',
      severity: 'critical',
      level: 1,
      counter: LIMITED,
      threshold: '100,000 ≤ n < 2,000,000',
      value: 99_990,
      attempted: 100_010,
      item: { list: 'guangxi-2025', domain: 'live-commerce', number: 6, obligation: 'standard-contract-or-certification' },
      citation: 'Guangxi 2025 list, domain 3, item 6',
      year: 2026,
      time: NOW.toISOString(),
      gatewayId: 'gw-1',
    });
    expect(c?.alert?.text.en).toContain('route sg that would have taken guangxi-2025/live-commerce/limited (2026) from 99,990 to 100,010 persons was refused');
    expect(c?.alert?.text.zh).toContain('由 99,990 人增至 100,010 人');
  });

  it('refused for another counter (no citation of this threshold): the counter did not move, so 100% is not reached; 95% is', () => {
    const moves = [
      { counter: LIMITED, before: 99_990, added: 20 },
      { counter: SENSITIVE, before: 0, added: 1 },
    ];
    const e = eventOf(moves);
    expect(e.admitted).toBe(false);
    // Keep only the sensitive citation: as if item 6 had not fired.
    const decision = { ...e.decision, rules: e.decision.rules.filter((r) => r.counter === SENSITIVE) };
    const { alerts } = fire(moves, [], { decision });
    expect(alerts).toContain(item6(0.95));
    expect(alerts).not.toContain(item6(1));
  });

  it('monitor mode: the counter really reaches 100,010; the 100% alert says reached, not refused', () => {
    const [c] = fire([{ counter: LIMITED, before: 99_990, added: 20 }], [], { mode: 'monitor' }).candidates;
    expect(c?.alert).toMatchObject({ id: item6(1), value: 100_010, attempted: null });
    expect(c?.alert?.text.en).toContain('has reached');
  });

  it('a valid filing covering item 6 for the route recipient silences item 6; one for another recipient does not', () => {
    expect(fire([{ counter: LIMITED, before: 79_990, added: 20 }], [], { filings: [contract6([RECIPIENT])] }).alerts).toEqual([]);
    expect(fire([{ counter: LIMITED, before: 79_990, added: 20 }], [], { filings: [contract6(['Other Recipient Ltd.'])] }).alerts).toEqual([item6(0.8)]);
  });

  it('a new year is a new key', () => {
    const jan = new Date('2027-01-01T00:00:00+08:00');
    expect(fire([{ counter: LIMITED, before: 49_990, added: 10 }], [item6(0.5)], { time: jan }).alerts).toEqual([key(6, 100_000, 0.5, 2027)]);
  });
});

describe('filing alerts', () => {
  const sa = (expires: string, kind: Filing['kind'] = 'security-assessment'): Filing => ({ id: 'F-1', kind, covers: { list: 'guangxi-2025' }, effective: '2024-01-01', expires });
  const run = (f: Filing, day: string, fired: string[] = []) => {
    const set = new Set(fired);
    const out = filingAlerts([f], day, [90, 30, 7], NOW, 'gw-1', (k) => set.has(k));
    return { alerts: out.flatMap((c) => (c.alert ? [c.alert.id] : [])), subsumed: out.flatMap((c) => c.subsumes), out };
  };
  const exp = (d: number, expires = '2026-07-15') => `filing-expiry|F-1|${expires}|${d}`;

  it('a standard contract 30 days from expiry: the 30-day alert, the 90-day one marked with it; no renewal window (not an assessment)', () => {
    const { alerts, subsumed, out } = run(sa('2026-07-15', 'standard-contract'), '2026-06-15');
    expect(alerts).toEqual([exp(30)]);
    expect(subsumed).toEqual([exp(90)]);
    expect(out[0]?.alert).toMatchObject({ kind: 'filing-expiry', level: 30, value: 30, filing: 'F-1', severity: 'warning' });
  });
  it('31 days: the 90-day alert only', () => expect(run(sa('2026-07-16', 'standard-contract'), '2026-06-15').alerts).toEqual([exp(90, '2026-07-16')]));
  it('7 days, 90 already sent: 7 fires, 30 is marked', () => {
    const r = run(sa('2026-06-22', 'standard-contract'), '2026-06-15', [exp(90, '2026-06-22')]);
    expect(r.alerts).toEqual([exp(7, '2026-06-22')]);
    expect(r.subsumed).toEqual([exp(30, '2026-06-22')]);
  });
  it('on the day of expiry still the 7-day one; the day after, nothing', () => {
    expect(run(sa('2026-06-15', 'standard-contract'), '2026-06-15').alerts).toEqual([exp(7, '2026-06-15')]);
    expect(run(sa('2026-06-14', 'standard-contract'), '2026-06-15').out).toEqual([]);
  });
  it('a security assessment in its last 60 working days: the renewal window too, once (CAC Order 16 Art. 9)', () => {
    const r = run(sa('2026-07-15'), '2026-06-15');
    expect(r.alerts).toEqual([exp(30), 'filing-renewal-window|F-1|2026-07-15']);
    const renewal = r.out[1]?.alert;
    expect(renewal?.citation).toContain('Order No. 16, Art. 9');
    expect(renewal?.text.en).toMatch(/may be applied for from 2026-04-\d\d/);
    expect(run(sa('2026-07-15'), '2026-06-16', [exp(30), exp(90), 'filing-renewal-window|F-1|2026-07-15']).out).toEqual([]);
  });
  it('a renewed filing (same id, new expiry) is new', () => expect(run(sa('2027-07-15', 'standard-contract'), '2027-06-15', [exp(30)]).alerts).toEqual([exp(30, '2027-07-15')]));
});

describe('material changes', () => {
  const notice = (detail: string): Notice => ({ code: 'material-change', detail, citation: 'Fujian FTZ measures, Art. 13', filing: 'SC-6', counter: LIMITED });
  const withNotices = (notices: Notice[]) => {
    const e = eventOf([{ counter: LIMITED, before: 10, added: 1 }]);
    return { ...e, decision: { ...e.decision, notices } };
  };
  it('once per filing and kind of change a year: the volume growing is one alert; another undeclared item is another', () => {
    const fired = new Set<string>();
    const run = (d: string) => {
      const out = materialChanges(withNotices([notice(d)]), 'gw-1', (k) => fired.has(k));
      for (const c of out) if (c.alert) fired.add(c.alert.id);
      return out.length;
    };
    expect(run('standard contract SC-6 declared at most 500 persons; limited holds 501 with this transfer (a possible material change)')).toBe(1);
    expect(run('standard contract SC-6 declared at most 500 persons; limited holds 1,204 with this transfer (a possible material change)')).toBe(0);
    expect(run('standard contract SC-6 did not declare the data items buyer-phone, which this transfer carries (a possible material change)')).toBe(1);
  });
  it('other notices are not alerts here', () => {
    const out = materialChanges(withNotices([{ code: 'alert-level', detail: 'x', citation: 'y' }]), 'gw-1', () => false);
    expect(out).toEqual([]);
  });
});
