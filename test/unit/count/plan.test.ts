/**
 * planCount(): which counters a transfer's persons go on (Guangxi 2025 list, live-commerce items
 * 4-7). Wholly listed data items on a listed scenario → the limited counter (items 4 and 6);
 * anything else → general (items 5 and 7); sensitive persons also → sensitive.
 */
import { describe, expect, it } from 'vitest';
import { classify } from '../../../agent/classify/index.js';
import { planCount, type CountPlan } from '../../../agent/count/plan.js';
import { identify } from '../../../agent/identify/index.js';
import type { Subject, Subjects } from '../../../agent/types.js';
import { liveCommerce } from '../support/policy.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';
const SENSITIVE = 'guangxi-2025/live-commerce/sensitive';
const LISTED = ['shipper-contact', 'shipper-name', 'goods-name'];

const person = (id: number, dataItems: string[], sensitive = false): Subject => ({
  key: Buffer.alloc(16, id),
  basis: 'phone',
  dataItems,
  sensitive,
});
const subjects = (...list: Subject[]): Subjects => ({
  subjects: list,
  dataItems: [...new Set(list.flatMap((s) => s.dataItems))].sort(),
  indicators: [],
  recordCount: list.length,
});
/** counter ref → indices of the persons counted on it. */
const onCounters = (plan: CountPlan): Record<string, readonly number[]> =>
  Object.fromEntries(plan.counters.map((c) => [c.counter.ref, c.persons]));

describe('planCount', () => {
  it('counts listed data items on cross-border delivery on the limited counter', () => {
    const plan = planCount(subjects(person(1, LISTED), person(2, ['anchor-name', 'anchor-contact'])), liveCommerce(), 'cross-border-delivery');
    expect(onCounters(plan)).toEqual({ [LIMITED]: [0, 1] });
  });

  it.each(['live-selling', 'cross-border-delivery', 'anchor-management', 'anchor-training'])(
    'uses the limited counter on the listed scenario %s',
    (scenario) => {
      expect(Object.keys(onCounters(planCount(subjects(person(1, LISTED)), liveCommerce(), scenario)))).toEqual([LIMITED]);
    },
  );

  it('counts on the general counter once a buyer field (not a listed item) is in the transfer', () => {
    const plan = planCount(subjects(person(1, LISTED), person(2, ['recipient-contact', 'recipient-name'])), liveCommerce(), 'cross-border-delivery');
    expect(onCounters(plan)).toEqual({ [GENERAL]: [0, 1] });
  });

  it('counts the whole transfer on general even when the shipper alone would be listed', () => {
    // The scope is the transfer's data items, not each person's: one buyer field moves everyone.
    const plan = planCount(subjects(person(1, LISTED), person(2, ['recipient-name'])), liveCommerce(), 'live-selling');
    expect(onCounters(plan)).toEqual({ [GENERAL]: [0, 1] });
  });

  it.each(['copywriting', 'live-room-operation'])('counts listed data items on the general counter on %s (not a listed scenario)', (scenario) => {
    expect(onCounters(planCount(subjects(person(1, LISTED)), liveCommerce(), scenario))).toEqual({ [GENERAL]: [0] });
  });

  it('counts a sensitive person on general and on sensitive, never on limited', () => {
    const plan = planCount(subjects(person(1, LISTED), person(2, LISTED, true), person(3, LISTED)), liveCommerce(), 'cross-border-delivery');
    expect(onCounters(plan)).toEqual({ [GENERAL]: [0, 1, 2], [SENSITIVE]: [1] });
  });

  it('counts a person once per transfer, however often they appear', () => {
    const plan = planCount(subjects(person(1, LISTED), person(2, LISTED), person(1, LISTED), person(1, LISTED)), liveCommerce(), 'cross-border-delivery');
    expect(plan.persons.map((p) => p[0])).toEqual([1, 2]);
    expect(onCounters(plan)).toEqual({ [LIMITED]: [0, 1] });
  });

  it('treats a person as sensitive if any of their occurrences is', () => {
    const plan = planCount(subjects(person(1, LISTED), person(1, LISTED, true)), liveCommerce(), 'cross-border-delivery');
    expect(onCounters(plan)).toEqual({ [GENERAL]: [0], [SENSITIVE]: [0] });
  });

  it('plans no counter for a transfer without persons', () => {
    expect(planCount(subjects(), liveCommerce(), 'cross-border-delivery')).toEqual({ persons: [], counters: [] });
  });

  it('deduplicates one shipper sent in two records, end to end from records', () => {
    const on = new Date('2025-06-01T04:00:00Z');
    const records = [
      { shipperName: '张三', shipperPhone: '13800138000', goodsName: '螺蛳粉' },
      { shipperName: '张三', shipperPhone: '+86 138 0013 8000', goodsName: '芒果干' },
      { shipperName: '王五', shipperPhone: '13912345678', goodsName: '芒果干' },
    ];
    const found = identify(classify({ records }, liveCommerce(), on), {
      key: Buffer.alloc(32, 7),
      transferId: 't-1',
      onDate: on,
      sensitivityProfile: 'gbt45574',
    });
    expect(found.subjects).toHaveLength(3);
    const plan = planCount(found, liveCommerce(), 'cross-border-delivery');
    expect(plan.persons).toHaveLength(2);
    expect(onCounters(plan)).toEqual({ [LIMITED]: [0, 1] });
  });
});
