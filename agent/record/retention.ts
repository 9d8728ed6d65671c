/**
 * Evidence retention: records of a year are kept for `retentionYears` after it (default 3: the
 * records of 2026 through 2029), then their whole segments are removed, oldest first, never the
 * segment being written. Before anything is removed, `pruned.json` in the chain folder records the
 * last removed frame (seq and hash), the anchor from which the rest of the chain still verifies.
 * Never: remove a segment from the middle of a chain, or one whose successor does not link to it.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chinaYear } from '../clock.js';
import { GENESIS_HASH, recordToObject } from './codec.js';
import { listSegments, readFirstFrame, readLastFrame, segmentFirstSeq } from './segments.js';

/** The anchor file of a pruned chain, in the chain's folder beside its segments. */
export const ANCHOR_FILE = 'pruned.json';

/** What `pruned.json` holds. */
export interface PrunedAnchor {
  /** seq of the last removed record: the first kept segment starts at lastPrunedSeq + 1. */
  readonly lastPrunedSeq: number;
  /** hex SHA-256 hash of that record's frame: the first kept record's prev_hash. */
  readonly lastPrunedHash: string;
  /** When the last prune ran (ISO 8601). */
  readonly prunedAt: string;
  /** Segment files removed so far, over every prune of this chain. */
  readonly segmentsRemoved: number;
  /** The oldest China-time year the last prune had to keep. */
  readonly keptFromYear: number;
}

/** Where a chain's kept records start: seq 0 and the genesis hash, or the anchor of a pruned chain. */
export interface ChainAnchor {
  readonly seq: number;
  readonly hash: Buffer;
  /** `pruned.json` exists but is not a valid anchor (the start is then genesis, which will not link). */
  readonly problem?: string;
}

/** The seq and hash the chain in `chainDir` continues from (genesis when it was never pruned). */
export function chainAnchor(chainDir: string): ChainAnchor {
  let text: string;
  try {
    text = readFileSync(join(chainDir, ANCHOR_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { seq: 0, hash: GENESIS_HASH };
    return { seq: 0, hash: GENESIS_HASH, problem: `${ANCHOR_FILE} cannot be read: ${(err as Error).message}` };
  }
  try {
    const a = JSON.parse(text) as Partial<PrunedAnchor>;
    if (!Number.isSafeInteger(a.lastPrunedSeq) || (a.lastPrunedSeq as number) < 1) throw new Error('lastPrunedSeq is not a positive integer');
    if (typeof a.lastPrunedHash !== 'string' || !/^[0-9a-f]{64}$/.test(a.lastPrunedHash)) throw new Error('lastPrunedHash is not 64 hex digits');
    return { seq: a.lastPrunedSeq as number, hash: Buffer.from(a.lastPrunedHash, 'hex') };
  } catch (err) {
    return { seq: 0, hash: GENESIS_HASH, problem: `${ANCHOR_FILE} is not a valid anchor: ${(err as Error).message}` };
  }
}

export interface PruneOptions {
  /** Years kept after the year a record was written in (config `evidence.retentionYears`, default 3). */
  readonly retentionYears: number;
  readonly now: Date;
  /** The segment a writer appends to: never removed (neither is the chain's last segment). */
  readonly current?: string;
}

export interface PruneResult {
  /** Segment files removed, oldest first. */
  readonly removed: readonly string[];
  /** The oldest year kept. */
  readonly keptFromYear: number;
  /** Why nothing was removed although segments were due (the chain does not link where it would be cut). */
  readonly refused?: string;
}

/**
 * How much older a record's time can be than one appended before it (a TRANSFER's time is taken
 * before its body is inspected and counted, which for a large spooled body takes a while): no
 * record of a segment is newer than its last record's time plus this. A day: generous, since
 * keeping a segment a year longer is harmless and removing it a day early is not.
 */
const STRAGGLER_MS = 24 * 3600 * 1000;

/**
 * Remove the chain's oldest segments whose newest record is older than the years kept, writing the
 * anchor first. Cheap: reads the last frame of each segment looked at and the first frame of the
 * first one kept, never whole segments. Stops at the first segment it keeps (a chain is cut at one
 * point only), and at the segment being written. Also finishes a prune a crash interrupted
 * (segments the anchor already covers).
 */
export function pruneChain(chainDir: string, opts: PruneOptions): PruneResult {
  const keptFromYear = chinaYear(opts.now) - opts.retentionYears;
  // 1 January of the oldest kept year, 00:00 China time.
  const keptFrom = Date.UTC(keptFromYear, 0, 1) - 8 * 3600 * 1000;
  const segments = listSegments(chainDir);
  const anchor = chainAnchor(chainDir);
  if (anchor.problem) return { removed: [], keptFromYear, refused: anchor.problem };

  const due: string[] = [];
  let covered = 0;
  let cut: { last: string; seq: number; hash: Buffer; successor: string } | undefined;
  for (let i = 0; i + 1 < segments.length; i++) {
    const segment = segments[i] as string;
    const successor = segments[i + 1] as string;
    if (segment === opts.current) break;
    if (segmentFirstSeq(successor) - 1 <= anchor.seq) {
      // Left by a prune a crash interrupted after its anchor was written.
      due.push(segment);
      covered++;
      continue;
    }
    const tail = readLastFrame(segment);
    if (!tail) return { removed: [], keptFromYear, refused: `not pruned: ${segment} does not end in a complete frame` };
    const rec = recordToObject(tail.record);
    if (rec.timeMs + STRAGGLER_MS >= keptFrom) break;
    due.push(segment);
    cut = { last: segment, seq: rec.seq, hash: tail.hash, successor };
  }
  if (due.length === 0) return { removed: [], keptFromYear };

  if (cut) {
    // The kept chain must start exactly where the anchor says, or the cut would hide a break.
    const first = readFirstFrame(cut.successor);
    const rec = first?.hash.equals(first.computed) ? recordToObject(first.record) : undefined;
    if (!rec || rec.seq !== cut.seq + 1 || segmentFirstSeq(cut.successor) !== rec.seq || !rec.prevHash.equals(cut.hash)) {
      return { removed: [], keptFromYear, refused: `not pruned: ${cut.successor} does not link to the last record of ${cut.last} (seq ${cut.seq})` };
    }
    const previous = readAnchorFile(chainDir);
    const next: PrunedAnchor = {
      lastPrunedSeq: cut.seq,
      lastPrunedHash: cut.hash.toString('hex'),
      prunedAt: opts.now.toISOString(),
      segmentsRemoved: (previous?.segmentsRemoved ?? 0) + due.length - covered,
      keptFromYear,
    };
    writeDurably(chainDir, ANCHOR_FILE, `${JSON.stringify(next, null, 2)}\n`);
  }
  // Oldest first: a crash part-way leaves only segments the anchor covers, removed by the next run.
  for (const segment of due) rmSync(segment, { force: true });
  syncDir(chainDir);
  return { removed: due, keptFromYear };
}

function readAnchorFile(chainDir: string): Partial<PrunedAnchor> | undefined {
  try {
    return JSON.parse(readFileSync(join(chainDir, ANCHOR_FILE), 'utf8')) as Partial<PrunedAnchor>;
  } catch {
    return undefined;
  }
}

/** Write a file so that after a crash it holds either the old content or the new, never a part. */
function writeDurably(dir: string, name: string, text: string): void {
  const tmp = join(dir, `${name}.tmp`);
  writeFileSync(tmp, text, { mode: 0o600 });
  const fd = openSync(tmp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  syncDir(dir);
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
