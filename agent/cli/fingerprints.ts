/**
 * `xborder fingerprints add FILE` / `count`: register values the company holds as important data
 * (one per line, UTF-8). Each is normalized and keyed under the identity key; only the keys (and
 * each value's length, for the hot path's length gate) are stored, in the embedded store. A
 * running gateway picks new ones up on reload (SIGHUP or `POST /api/reload`).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fingerprintKey, normalizeFingerprintValue, type StoredFingerprint } from '../classify/fingerprints.js';
import { chinaYear, systemClock } from '../clock.js';
import { loadConfig, type Config } from '../config/load.js';
import { openStore } from '../count/store/index.js';
import { loadIdentityKey } from '../identify/key.js';

/** Register `values` under the config's identity key and store; returns how many were new and the total. */
export async function registerFingerprints(config: Config, values: readonly string[]): Promise<{ added: number; total: number; skipped: number }> {
  const identity = loadIdentityKey(config.identity.key);
  const prints: StoredFingerprint[] = [];
  let skipped = 0;
  for (const v of values) {
    const normalized = normalizeFingerprintValue(v);
    if (normalized === '') {
      skipped++;
      continue;
    }
    prints.push({ key: fingerprintKey(identity.key, normalized), length: normalized.length });
  }
  const store = await openStore(config.store);
  try {
    // The same key the counts are pinned to: a fingerprint keyed under another key would never match.
    await store.checkKeyFingerprint(chinaYear(systemClock.now()), identity.fingerprint);
    const added = await store.addFingerprints(prints);
    return { added, total: await store.fingerprintCount(), skipped };
  } finally {
    await store.close();
  }
}

/** The lines of a values file: UTF-8 (a BOM is dropped), LF or CRLF; blank lines are not values. */
export function readValues(file: string): string[] {
  return readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
}

export async function fingerprintsCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { config: { type: 'string', short: 'c' } } });
  const [sub, file] = positionals;
  const config = () => loadConfig(values.config ?? 'xborder.yaml').config;
  if (sub === 'add' && file) {
    let lines: string[];
    try {
      lines = readValues(file);
    } catch (err) {
      process.stderr.write(`xborder fingerprints add: ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      return 1;
    }
    const r = await registerFingerprints(config(), lines);
    process.stdout.write(`${r.added} new fingerprints registered (${r.total} in all)\n`);
    return 0;
  }
  if (sub === 'count' && !file) {
    const store = await openStore(config().store);
    try {
      process.stdout.write(`${await store.fingerprintCount()}\n`);
    } finally {
      await store.close();
    }
    return 0;
  }
  process.stderr.write('usage: xborder fingerprints add FILE [--config FILE] | xborder fingerprints count [--config FILE]\n');
  return 2;
}
