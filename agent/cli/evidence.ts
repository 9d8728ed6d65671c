/**
 * `xborder evidence export` and `xborder evidence verify`. Export copies a period's records, as
 * stored, from every chain into a signed bundle with its summary and spot-check report
 * (record/export.ts, record/bundle.ts); verify checks such a bundle (signature, file hashes, every
 * chain link, the summary recomputed), or, for a folder without a manifest, the live chains under
 * it (record/verify.ts). Only ids, counts and hashes are printed: never personal information.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { systemClock } from '../clock.js';
import { DEFAULTS } from '../config/defaults.js';
import { loadConfig, type Config } from '../config/load.js';
import type { ErrorCode } from '../errors.js';
import { VERSION } from '../package-root.js';
import { compilePolicy } from '../policy/compile.js';
import { loadPacks } from '../policy/load.js';
import { isBundle, keyFingerprint, loadSigningKey, verifyBundle } from '../record/bundle.js';
import { checkOutDir, exportBundle } from '../record/export.js';
import { isDay, type Period } from '../record/summary.js';
import { verifyEvidence } from '../record/verify.js';

const USAGE = `usage: xborder evidence export --from YYYY-MM-DD --to YYYY-MM-DD [--filing ID] --out DIR [--config FILE] [--evidence DIR]...
       xborder evidence verify DIR [--public-key FILE]`;

class UsageError extends Error {}

/** `xborder evidence export|verify`; exit 0, 1 on a refusal or a failed verification, 2 on a usage error. */
export async function evidenceCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === 'export') return exportCommand(rest);
    if (sub === 'verify') return verifyCommand(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`xborder evidence ${sub}: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true as const });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `--from`/`--to`: whole China-time days, `from` ≤ `to`. */
export function periodArg(from: string | undefined, to: string | undefined): Period {
  if (!from || !to) throw new UsageError('--from and --to are required (China-time days, YYYY-MM-DD, both included)');
  for (const [name, day] of [['--from', from], ['--to', to]] as const) if (!isDay(day)) throw new UsageError(`${name} ${day}: expected a calendar day, YYYY-MM-DD`);
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  return { from, to };
}

/** The policy loaded at export, for the manifest; null when the packs do not load (the evidence still exports). */
export function currentPolicy(config: Config): { revision: string; packs: { id: string; digest: string }[] } | null {
  try {
    const compiled = compilePolicy(loadPacks(config.policy.dir));
    return { revision: compiled.revision, packs: compiled.packs.map((p) => ({ id: p.id, digest: p.digest })) };
  } catch {
    return null;
  }
}

function exportCommand(args: readonly string[]): number {
  const { values, positionals } = parse(args, {
    from: { type: 'string' },
    to: { type: 'string' },
    filing: { type: 'string' },
    out: { type: 'string' },
    config: { type: 'string', short: 'c' },
    evidence: { type: 'string', multiple: true },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
  const period = periodArg(values.from, values.to);
  if (!values.out) throw new UsageError('--out DIR is required (a new or empty folder)');
  const { config } = loadConfig(values.config ?? 'xborder.yaml');
  const filings = values.filing ? config.filings.filter((f) => f.id === values.filing) : [...config.filings];
  if (values.filing && filings.length === 0)
    throw new UsageError(`--filing ${values.filing}: no such filing in ${config.file} (filings: ${config.filings.map((f) => f.id).join(', ') || 'none'})`);
  // Refuse a used folder before generating a key or reading any chain.
  checkOutDir(values.out);
  const isDefaultKey = resolve(config.evidence.signingKeyFile) === resolve(config.dataDir, DEFAULTS.evidence.generatedSigningKeyFile);
  const { key, generated } = loadSigningKey(config.evidence.signingKeyFile, isDefaultKey);
  const dirs = values.evidence && values.evidence.length > 0 ? values.evidence : [config.evidence.dir];
  const { manifest, summary } = exportBundle({
    dirs,
    period,
    out: values.out,
    filings,
    filing: values.filing,
    key,
    company: { name: config.company.name, regime: config.company.regime },
    policy: currentPolicy(config),
    version: VERSION,
    created: systemClock.now(),
  });
  const runs = manifest.chains.map((c) => `${c.gatewayId} seq ${c.firstSeq}–${c.lastSeq}`).join(', ') || 'no chain has records in the period';
  const inconsistencies = summary.filings.reduce((n, f) => n + f.inconsistencies.length, 0);
  const out = [
    `${values.out}: evidence of ${period.from} to ${period.to} (China time): ${runs}`,
    `  ${summary.transfers.total} transfers (${summary.transfers.byDecision.allow} allowed, ${summary.transfers.byDecision.flag} flagged, ${summary.transfers.byDecision.block} blocked); ${summary.filings.length} filing${summary.filings.length === 1 ? '' : 's'} examined, ${inconsistencies} inconsistenc${inconsistencies === 1 ? 'y' : 'ies'}`,
    ...summary.filings.flatMap((f) => f.inconsistencies.map((x) => `  ${f.id}: ${x.kind} ${x.subject} (${x.transfers.length} transfer${x.transfers.length === 1 ? '' : 's'})`)),
    `  signed with Ed25519 key ${config.evidence.signingKeyFile}${generated ? ' (generated now)' : ''}, public key sha256 ${keyFingerprint(createPublicKey(key))}`,
    `  check it with: xborder evidence verify ${values.out}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

function verifyCommand(args: readonly string[]): number {
  const { values, positionals } = parse(args, { 'public-key': { type: 'string' } });
  const [dir, ...extra] = positionals;
  if (!dir || extra.length > 0) throw new UsageError(dir ? `one folder only, not ${extra.join(' ')}` : 'which folder? xborder evidence verify DIR');
  let pinned: KeyObject | undefined;
  if (values['public-key']) {
    try {
      pinned = createPublicKey(readFileSync(values['public-key']));
    } catch (err) {
      throw new UsageError(`--public-key ${values['public-key']}: not a readable PEM public key (${(err as Error).message})`);
    }
  }
  if (isBundle(dir)) return verifyBundleCommand(dir, pinned);
  if (pinned) throw new UsageError(`--public-key: ${dir} is not a bundle (no ${join(dir, 'manifest.json')}); live chains are not signed`);
  const report = verifyEvidence(dir);
  for (const c of report.chains) {
    const state = c.errors.length === 0 ? 'ok' : 'BROKEN';
    process.stdout.write(`${c.gatewayId}: ${state}, ${c.records} records, head seq ${c.headSeq} ${c.headHash.slice(0, 16)}…\n`);
    for (const e of c.errors) process.stdout.write(`  ${e}\n`);
  }
  if (report.chains.length === 0) process.stdout.write(`no evidence chains under ${dir}\n`);
  return report.ok ? 0 : 1;
}

function verifyBundleCommand(dir: string, pinned: KeyObject | undefined): number {
  const r = verifyBundle(dir, pinned ? { publicKey: pinned } : {});
  const out: string[] = [];
  for (const c of r.chains)
    out.push(
      c.ok
        ? `${c.gatewayId}: ok, seq ${c.firstSeq}–${c.lastSeq} (${c.records} records), head ${c.headHash.slice(0, 16)}…`
        : `${c.gatewayId}: BROKEN, seq ${c.firstSeq}–${c.lastSeq} in the manifest; ${c.records > 0 ? `verified up to seq ${c.verifiedTo}` : 'no record verified'}`,
    );
  if (r.ok) {
    out.push(`files: ${r.files} listed, all present and unchanged, nothing else`);
    out.push(`summary.json: matches the summary recomputed from the bundled records`);
    out.push(`signature: ok, Ed25519 key sha256 ${r.signer ?? ''}${pinned ? ' (the expected key)' : ''}`);
    out.push(`${dir}: bundle verifies`);
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  }
  out.push(`${dir}: bundle does NOT verify (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}):`, ...r.problems.map((p) => `  ${p}`));
  process.stdout.write(`${out.join('\n')}\n`);
  const code: ErrorCode = 'XB_EVIDENCE_BUNDLE_INVALID';
  process.stderr.write(`${code}: ${r.problems[0] ?? 'does not verify'}\n`);
  return 1;
}
