/**
 * Config joined to policy: every route and filing reference is checked against the loaded packs,
 * and the company's regime decides which lists it may use (adoption by reference, Beijing only
 * with an approval). Errors name the config file, line and key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../../agent/config/load.js';
import { XbError } from '../../../agent/errors.js';
import { compilePolicy } from '../../../agent/policy/compile.js';
import { loadPacks } from '../../../agent/policy/load.js';
import { buildSnapshot } from '../../../agent/policy/snapshot.js';
import { PACKS_DIR } from '../support/policy.js';

const policy = compilePolicy(loadPacks(PACKS_DIR));
const dir = mkdtempSync(join(tmpdir(), 'xb-snapshot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const route = (domain: string, scenario = 'cross-border-delivery') => ({
  id: 'r',
  upstream: 'https://partner.example',
  recipient: { name: 'Partner', country: 'SG' },
  domain,
  scenario,
});

function snapshotOf(company: Record<string, unknown>, routes: unknown[], filings: unknown[] = []) {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ company: { name: 'X', ...company }, routes, filings }));
  return { file, build: () => buildSnapshot(loadConfig(file), policy) };
}

function refusal(fn: () => unknown): XbError {
  try {
    fn();
  } catch (err) {
    if (err instanceof XbError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('routes and filings against the loaded packs', () => {
  it.each([
    { what: 'an unknown domain', company: { regime: 'guangxi' }, r: route('guangxi-2025/live-shopping'), key: 'routes[0].domain', says: /no loaded pack has domain guangxi-2025\/live-shopping/ },
    { what: 'a scenario the domain does not list', company: { regime: 'guangxi' }, r: route('guangxi-2025/live-commerce', 'teleshopping'), key: 'routes[0].scenario', says: /has no scenario teleshopping/ },
    { what: 'another zone’s list, not adopted', company: { regime: 'fujian' }, r: route('guangxi-2025/live-commerce'), key: 'routes[0].domain', says: /list it under company.adoptedLists/ },
    {
      what: 'a Beijing company adopting without the approval its measures require',
      company: { regime: 'beijing', adoptedLists: [{ list: 'guangxi-2025' }] },
      r: route('guangxi-2025/live-commerce'),
      key: 'routes[0].domain',
      says: /only after review: give company.adoptedLists\[\].approval/,
    },
    { what: 'a route naming an every-transfer domain', company: { regime: 'guangxi' }, r: route('guangxi-important-data/industry', 'any'), key: 'routes[0].domain', says: /applies to every transfer by itself/ },
  ])('refuses $what', ({ company, r, key, says }) => {
    const { build } = snapshotOf(company, [r]);
    const err = refusal(build);
    expect(err.code).toBe('XB_CFG_INVALID');
    expect(err.message).toMatch(says);
    expect(err.message).toMatch(new RegExp(`\\.yaml:\\d+ ${key.replace(/[[\].]/g, '\\$&')}: `));
  });

  it('accepts another zone’s list adopted as the company’s measures allow', () => {
    expect(() => snapshotOf({ regime: 'fujian', adoptedLists: [{ list: 'guangxi-2025' }] }, [route('guangxi-2025/live-commerce')]).build()).not.toThrow();
    expect(() =>
      snapshotOf({ regime: 'beijing', adoptedLists: [{ list: 'guangxi-2025', approval: '京网信函〔2026〕12号' }] }, [route('guangxi-2025/live-commerce')]).build(),
    ).not.toThrow();
  });

  it('accepts the national rules for any regime, and refuses a filing for an item the list does not have', () => {
    expect(() => snapshotOf({ regime: 'jiangsu' }, [route('cn-national/national', 'anything')]).build()).not.toThrow();
    const err = refusal(
      snapshotOf({ regime: 'guangxi' }, [route('guangxi-2025/live-commerce')], [
        { id: 'SC', kind: 'standard-contract', covers: { list: 'guangxi-2025', domains: ['live-commerce'], items: [6, 60] }, effective: '2026-01-01', expires: '2027-01-01' },
      ]).build,
    );
    expect(err.message).toMatch(/\.yaml:\d+ filings\[0\]\.covers\.items\[1\]: no item 60/);
  });

  it('gives each route the indicator rules of its domain and of its regime’s every-transfer lists', () => {
    const snap = snapshotOf({ regime: 'guangxi' }, [route('guangxi-2025/live-commerce')]).build();
    const refs = snap.routes.get('r')?.indicatorDomains.map((d) => d.ref) ?? [];
    expect(refs[0]).toBe('guangxi-2025/live-commerce');
    expect(refs.filter((r) => r.startsWith('guangxi-important-data/')).length).toBeGreaterThan(10);
    expect(refs.some((r) => r.startsWith('fujian-important-data/'))).toBe(false);
  });
});
