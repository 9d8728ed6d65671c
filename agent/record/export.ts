/**
 * `xborder evidence export`: the records of a period, from every chain under one or more evidence
 * folders (a gateway's own chain, its replicas', the `-backfill` chains), copied as their original
 * frames into a signed bundle (bundle.ts) with a summary (summary.ts) and a report (report.ts).
 *
 * Per chain, the bundle holds the contiguous run from the first to the last record whose time
 * falls in the period, everything between included (an OUTCOME, a RELOAD, a record of the next
 * day written before the last one of the period), so the links still verify. The bytes are the
 * stored ones: the hashes of the source chain hold in the bundle.
 * Never: export from chains that do not verify, or into a folder that holds anything.
 */
import type { KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { RawFiling } from '../config/schema.js';
import { XbError } from '../errors.js';
import { BUNDLE_FORMAT, FILINGS_FILE, SUMMARY_FILE, bundleFiles, type Manifest, type ManifestBody } from './bundle.js';
import { GENESIS_HASH, recordToObject } from './codec.js';
import { listSegments, readFrames, segmentName } from './segments.js';
import { renderCsv, renderHtml, renderMarkdown, type ReportMeta } from './report.js';
import { periodBounds, summarize, type Period, type Summary, type SummaryRecord } from './summary.js';
import { chainAnchor } from './retention.js';
import { verifyFolders } from './verify.js';

/** One chain's run over a period: its stored bytes and its records. */
export interface ChainRunBytes {
  readonly gatewayId: string;
  readonly firstSeq: number;
  /** The run's frames, byte for byte as stored (length prefixes included). */
  readonly bytes: Buffer;
  readonly records: readonly SummaryRecord[];
}

interface Loc {
  readonly segment: number;
  readonly offset: number;
  readonly end: number;
}

/**
 * Verify every chain under every folder and read each chain's run over the period. A chain given
 * in two folders (a replica's copy) is read once, from the longest copy, after checking the copies
 * agree. Refuses (XB_EVIDENCE_CHAIN_BROKEN) a folder without chains and any chain that does not
 * verify; an incomplete last frame a running gateway is writing is not part of any run.
 */
export function readPeriodRuns(dirs: readonly string[], period: Period): ChainRunBytes[] {
  const chains = new Map<string, { dir: string; headSeq: number; headHash: string }>();
  const { chains: reports, errors } = verifyFolders(dirs);
  for (const c of reports) {
    if (c.errors.length > 0) continue;
    const { dir } = c;
    const seen = chains.get(c.gatewayId);
    if (!seen) chains.set(c.gatewayId, { dir, headSeq: c.headSeq, headHash: c.headHash });
    else {
      // Two copies of one chain: the shorter must be a prefix of the longer (same hash at its head).
      const [short, long] = seen.headSeq <= c.headSeq ? [seen, c] : [c, seen];
      const there = hashAt(join(long.dir, c.gatewayId), short.headSeq);
      if (there === undefined) errors.push(`${c.gatewayId}: the copies in ${seen.dir} and ${dir} cannot be compared: seq ${short.headSeq} is not in ${long.dir} (pruned)`);
      else if (there !== short.headHash) errors.push(`${c.gatewayId}: the copies in ${seen.dir} and ${dir} differ at seq ${short.headSeq}: two different chains under one name`);
      else chains.set(c.gatewayId, { dir: long.dir, headSeq: long.headSeq, headHash: long.headHash });
    }
  }
  if (errors.length > 0) throw broken(errors);
  const runs: ChainRunBytes[] = [];
  for (const [gatewayId, { dir }] of [...chains].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const run = readRun(join(dir, gatewayId), gatewayId, period);
    if (run) runs.push(run);
  }
  return runs;
}

/** The hash (hex) of the frame with `seq` in a chain (seq 0: the genesis hash); undefined when the chain does not hold it. */
function hashAt(chainDir: string, seq: number): string | undefined {
  if (seq === 0) return GENESIS_HASH.toString('hex');
  // The record just before a pruned chain's first kept one is known by its anchor (retention.ts).
  const anchor = chainAnchor(chainDir);
  if (anchor.seq === seq && !anchor.problem) return anchor.hash.toString('hex');
  for (const segment of listSegments(chainDir)) {
    for (const read of readFrames(readFileSync(segment))) {
      if (read.kind !== 'frame') break;
      if (recordToObject(read.frame.record).seq === seq) return read.frame.hash.toString('hex');
    }
  }
  return undefined;
}

/**
 * A chain's run over the period: a first pass finds the first and last frame whose record's time
 * is in it (keeping only their places), a second copies the bytes between and decodes them.
 */
function readRun(chainDir: string, gatewayId: string, period: Period): ChainRunBytes | undefined {
  const { startMs, endMs } = periodBounds(period);
  const segments = listSegments(chainDir);
  let first: Loc | undefined;
  let last: Loc | undefined;
  segments.forEach((segment, i) => {
    for (const read of readFrames(readFileSync(segment))) {
      if (read.kind !== 'frame') break;
      const { timeMs } = recordToObject(read.frame.record);
      if (timeMs < startMs || timeMs >= endMs) continue;
      const loc = { segment: i, offset: read.frame.offset, end: read.frame.end };
      first ??= loc;
      last = loc;
    }
  });
  if (!first || !last) return undefined;
  const parts: Buffer[] = [];
  for (let i = first.segment; i <= last.segment; i++) {
    const bytes = readFileSync(segments[i] as string);
    let end = 0;
    if (i === last.segment) end = last.end;
    else for (const read of readFrames(bytes)) if (read.kind === 'frame') end = read.frame.end;
    parts.push(bytes.subarray(i === first.segment ? first.offset : 0, end));
  }
  const bytes = Buffer.concat(parts);
  const records = decodeRun(bytes, gatewayId);
  const firstSeq = records[0]?.record.seq ?? 0;
  return { gatewayId, firstSeq, bytes, records };
}

/** Decode a run's frames, re-checking hash and links: the chain may have changed since it was verified. */
function decodeRun(bytes: Buffer, gatewayId: string): SummaryRecord[] {
  const out: SummaryRecord[] = [];
  let prev: Buffer | undefined;
  let seq = 0;
  for (const read of readFrames(bytes)) {
    if (read.kind !== 'frame') throw broken([`${gatewayId}: a frame of the run does not read (${read.kind === 'torn' ? 'incomplete' : read.why})`]);
    const { frame } = read;
    const record = recordToObject(frame.record);
    if (!frame.hash.equals(frame.computed) || (prev && (!record.prevHash.equals(prev) || record.seq !== seq + 1)))
      throw broken([`${gatewayId} seq ${record.seq}: changed while it was read`]);
    out.push({ chain: gatewayId, hash: frame.hash.toString('hex'), record });
    prev = frame.hash;
    seq = record.seq;
  }
  return out;
}

const broken = (errors: readonly string[]): XbError =>
  new XbError(
    'XB_EVIDENCE_CHAIN_BROKEN',
    `evidence not exported: the source chains do not verify, and a bundle without the records they hold would look complete:\n  ${errors
      .slice(0, 20)
      .join('\n  ')}${errors.length > 20 ? `\n  … and ${errors.length - 20} more` : ''}`,
    { errors: errors.length },
  );

/** All records of the runs, chain by chain: summarize()'s input. */
export const runRecords = (runs: readonly ChainRunBytes[]): SummaryRecord[] => runs.flatMap((r) => [...r.records]);

/** The bundle path of a chain run's segment file. */
export const runFile = (gatewayId: string, firstSeq: number): string => `chains/${gatewayId}/${segmentName(firstSeq)}`;

/** Refuse an output folder that exists and is not an empty folder. */
export function checkOutDir(out: string): void {
  let entries: string[];
  try {
    if (!statSync(out).isDirectory()) throw new XbError('XB_EVIDENCE_EXPORT_NOT_EMPTY', `${out} exists and is not a folder`);
    entries = readdirSync(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (entries.length > 0) throw new XbError('XB_EVIDENCE_EXPORT_NOT_EMPTY', `${out} is not empty (${entries.length} entries): export into a new or empty folder, never over an earlier bundle`);
}

/**
 * Write `files` (bundle path → bytes) as the folder `out`: built in a private sibling folder, then
 * renamed into place, so a failed export leaves no half bundle behind. Folders 0700, files 0600.
 */
export function writeFolder(out: string, files: ReadonlyMap<string, Buffer | string>): void {
  const target = resolve(out);
  const tmp = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  try {
    for (const [path, bytes] of files) {
      mkdirSync(dirname(join(tmp, path)), { recursive: true, mode: 0o700 });
      writeFileSync(join(tmp, path), bytes, { mode: 0o600, flag: 'wx' });
    }
    checkOutDir(target);
    // rename(2) replaces an empty folder; one that filled meanwhile makes it fail (ENOTEMPTY).
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new XbError('XB_EVIDENCE_EXPORT_NOT_EMPTY', `${out} was filled while the bundle was written`);
    throw err;
  }
}

export interface ExportOptions {
  /** Evidence folders, each holding one sub-folder per chain. */
  readonly dirs: readonly string[];
  readonly period: Period;
  readonly out: string;
  /** The filings the summary examines (all configured, or the one of `--filing`); stored as filings.json. */
  readonly filings: readonly RawFiling[];
  readonly filing: string | undefined;
  readonly key: KeyObject;
  readonly company: { readonly name: string; readonly regime: string };
  readonly policy: ManifestBody['policy']['current'];
  readonly version: string;
  readonly created: Date;
}

/** Read the period's runs, summarize, render and sign; write the bundle folder. */
export function exportBundle(o: ExportOptions): { manifest: Manifest; summary: Summary } {
  checkOutDir(o.out);
  const runs = readPeriodRuns(o.dirs, o.period);
  const summary = summarize(runRecords(runs), o.filings, o.period);
  const meta: ReportMeta = { kind: 'spot-check', company: o.company.name, regime: o.company.regime, created: o.created.toISOString(), version: o.version, filing: o.filing };
  const content = new Map<string, Buffer | string>();
  for (const run of runs) content.set(runFile(run.gatewayId, run.firstSeq), run.bytes);
  content.set(FILINGS_FILE, `${JSON.stringify({ filings: o.filings }, null, 2)}\n`);
  content.set(SUMMARY_FILE, `${JSON.stringify(summary, null, 2)}\n`);
  content.set('report.md', renderMarkdown(summary, meta));
  content.set('report.html', renderHtml(summary, meta));
  content.set('report.csv', renderCsv(summary));
  const { files, manifest } = bundleFiles(
    content,
    {
      format: BUNDLE_FORMAT,
      xborderVersion: o.version,
      created: o.created.toISOString(),
      company: { name: o.company.name, regime: o.company.regime },
      period: { from: o.period.from, to: o.period.to, timeZone: summary.period.timeZone },
      filing: o.filing ?? null,
      chains: summary.chains.map((c) => ({ ...c, file: runFile(c.gatewayId, c.firstSeq) })),
      policy: { revisions: summary.policyRevisions.map((r) => r.revision), current: o.policy },
    },
    o.key,
  );
  writeFolder(o.out, files);
  return { manifest, summary };
}
