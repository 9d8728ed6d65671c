/**
 * The national rules' important-data items apply on every route (Order 16 Art. 7), so every
 * route's indicator domains include cn-national/national once, and carry the fingerprints.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildFingerprintIndex, fingerprintKey } from '../../../agent/classify/fingerprints.js';
import { loadConfig } from '../../../agent/config/load.js';
import { buildSnapshot, NATIONAL_DOMAIN } from '../../../agent/policy/snapshot.js';
import { shippedPolicy } from '../support/policy.js';

const dir = mkdtempSync(join(tmpdir(), 'xb-national-ind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const route = (id: string, domain: string, scenario: string) => ({ id, upstream: 'https://p.example', recipient: { name: 'P', country: 'SG' }, domain, scenario });

it('adds the national domain to every route, once, with the fingerprint index', () => {
  const file = join(dir, 'c.yaml');
  writeFileSync(file, stringify({ company: { name: 'X', regime: 'guangxi' }, routes: [route('gx', 'guangxi-2025/live-commerce', 'cross-border-delivery'), route('nat', NATIONAL_DOMAIN, 'any')] }));
  const key = Buffer.alloc(32, 1);
  const fingerprints = buildFingerprintIndex(key, [{ key: fingerprintKey(key, 'abc'), length: 3 }]);
  const snapshot = buildSnapshot(loadConfig(file), shippedPolicy(), fingerprints);
  for (const id of ['gx', 'nat']) {
    const r = snapshot.routes.get(id);
    expect(r?.indicatorDomains.filter((d) => d.ref === NATIONAL_DOMAIN)).toHaveLength(1);
    expect(r?.indicators.fingerprints).toBe(fingerprints);
  }
  // Its own domain first, the regime's every-transfer lists, the national rules last.
  const refs = snapshot.routes.get('gx')?.indicatorDomains.map((d) => d.ref) ?? [];
  expect(refs.at(-1)).toBe(NATIONAL_DOMAIN);
  expect(refs.some((r) => r.startsWith('guangxi-important-data/'))).toBe(true);
});
