/**
 * Test support: the real compiled Guangxi live-commerce domain, resident ID numbers built with the
 * GB 11643 check character, and temp folders that clean up after themselves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../../agent/package-root.js';
import { compilePolicy } from '../../../agent/policy/compile.js';
import { loadPacks } from '../../../agent/policy/load.js';
import type { CompiledPolicy, Counter, Domain } from '../../../agent/policy/types.js';

export const PACKS_DIR = join(PACKAGE_ROOT, 'policy', 'packs');
export const LIVE_COMMERCE = 'guangxi-2025/live-commerce';

let compiled: CompiledPolicy | undefined;

/** The shipped packs, compiled once per test file. */
export function shippedPolicy(): CompiledPolicy {
  compiled ??= compilePolicy(loadPacks(PACKS_DIR));
  return compiled;
}

export function liveCommerce(): Domain {
  const domain = shippedPolicy().domains.get(LIVE_COMMERCE);
  if (!domain) throw new Error(`${LIVE_COMMERCE} missing from the shipped packs`);
  return domain;
}

/** Every counter of the domain by ref, as a route's `counters` map holds them (policy/snapshot.ts). */
export function countersOf(domain: Domain): Map<string, Counter> {
  return new Map([...domain.limited, domain.general, domain.sensitive].map((c) => [c.ref, c]));
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** GB 11643-1999 check character of the first 17 digits, computed independently of agent/. */
export function checkChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error(`need 17 digits, got ${first17}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] as number);
  return CHECK[sum % 11] as string;
}

/** A resident ID for a region, a birth date `YYYYMMDD` and a 3-digit sequence, with a valid check character. */
export function residentId(birth: string, region = '110105', sequence = '123'): string {
  const first17 = `${region}${birth}${sequence}`;
  return first17 + checkChar(first17);
}

/** The same ID with a check character that is certainly wrong. */
export function withWrongCheck(id: string): string {
  const right = id[17] as string;
  const wrong = CHECK.split('').find((c) => c !== right.toUpperCase()) as string;
  return id.slice(0, 17) + wrong;
}

/** A fresh folder under the OS temp dir; call the returned function to remove it. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `xborder-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
