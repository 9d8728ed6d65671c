/**
 * The evidence log writer: one hash chain per gateway, appended in order, group-committed.
 * `append` links and encodes the record synchronously (so chain order is call order), then
 * resolves once its bytes are written and, with fsync `always`, on disk. The chain rotates to a
 * new segment before one would pass `segmentBytes` and at each new China-time day; retention
 * (retention.ts) removes old segments at open and daily. At open only the last segment is read
 * (and the last frame of the one before): a torn last frame (a crash mid-write) is cut and
 * reported; a complete frame whose hash is wrong, or a segment that does not link, is refused.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { chinaDay, systemClock, type Clock } from '../clock.js';
import { XbError } from '../errors.js';
import { EVIDENCE_VERSION, EvidenceFrame, EvidenceV1, GENESIS_HASH, recordToObject } from './codec.js';
import { ANCHOR_FILE, chainAnchor, pruneChain } from './retention.js';
import { listSegments, readFrames, readLastFrame, segmentFirstSeq, segmentName } from './segments.js';

export interface EvidenceEntry {
  readonly kind: 'TRANSFER' | 'OUTCOME' | 'START' | 'STOP' | 'RELOAD' | 'BACKFILL' | 'EMERGENCY_STOP' | 'RESUME';
  readonly timeMs: number;
  readonly transferId?: string;
  readonly transfer?: Record<string, unknown>;
  readonly outcome?: Record<string, unknown>;
  readonly lifecycle?: Record<string, unknown>;
}

export interface EvidenceLog {
  append(entry: EvidenceEntry): Promise<{ seq: number; hash: Buffer }>;
  /** Last appended frame (seq 0 and the genesis hash for an empty chain). */
  head(): { seq: number; hash: Buffer };
  /** What opening found: a torn tail cut, with its byte count. */
  readonly recovered: { tornBytes: number; segment: string } | undefined;
  close(): Promise<void>;
}

/** Where retention reports what it removed, or why it removed nothing (a pino logger fits). */
export interface RetentionLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface EvidenceOptions {
  readonly dir: string;
  readonly gatewayId: string;
  readonly fsync: 'always' | 'interval';
  readonly fsyncIntervalMs: number;
  /** Rotate before a segment would grow past this many bytes (default 64 MiB; a bigger single frame gets a segment of its own). */
  readonly segmentBytes?: number;
  /** Remove segments whose newest record is more than this many years old, at open and daily (default: unset, keep all). */
  readonly retentionYears?: number;
  /** Time for retention (default: the system clock). Rotation by day uses each record's `timeMs`. */
  readonly clock?: Clock;
  readonly log?: RetentionLog;
}

/** Default `segmentBytes`: config.evidence.segmentBytes's default. */
const SEGMENT_BYTES = 64 * 1024 * 1024;
/** How often a running writer applies retention. */
const RETENTION_EVERY_MS = 24 * 3600 * 1000;

export async function openEvidenceLog(opts: EvidenceOptions): Promise<EvidenceLog> {
  const chainDir = join(opts.dir, opts.gatewayId);
  const segmentBytes = opts.segmentBytes ?? SEGMENT_BYTES;
  const clock = opts.clock ?? systemClock;
  mkdirSync(chainDir, { recursive: true, mode: 0o700 });
  const releaseLock = lockChain(chainDir, opts.gatewayId);
  let head: ReturnType<typeof recoverHead>;
  try {
    head = recoverHead(chainDir);
  } catch (err) {
    releaseLock();
    throw err;
  }
  const { seq: lastSeq, hash: lastHash, recovered } = head;
  let file = head.segment ?? join(chainDir, segmentName(lastSeq + 1));
  let fh: FileHandle;
  try {
    fh = await open(file, 'a', 0o600);
    if (!head.segment) await syncDir(chainDir);
  } catch (err) {
    releaseLock();
    throw new XbError('XB_EVIDENCE_WRITE_FAILED', `evidence segment ${file} cannot be opened: ${(err as Error).message}`);
  }

  let seq = lastSeq;
  let prev = lastHash;
  // The segment being filled, as append() assigns frames to it (queued frames included).
  let segBytes = head.bytes;
  let segDay = head.firstDay;
  /** Frames in chain order; a string is the path of a segment the frames after it go to. */
  let pending: { chunks: (Buffer | string)[]; waiters: { resolve: () => void; reject: (e: Error) => void }[] } = { chunks: [], waiters: [] };
  let writing: Promise<void> | undefined;
  let failed: Error | undefined;
  let dirty = false;

  /** Close the full segment (on disk first, whatever the fsync mode) and start the next one. */
  const rotate = async (next: string): Promise<void> => {
    await fh.datasync();
    await fh.close();
    file = next;
    fh = await open(next, 'a', 0o600);
    // The new file's name must survive a power loss as its records do.
    await syncDir(chainDir);
    dirty = false;
  };

  const flush = async (): Promise<void> => {
    while (pending.chunks.length > 0) {
      const batch = pending;
      pending = { chunks: [], waiters: [] };
      try {
        let run: Buffer[] = [];
        for (const chunk of batch.chunks) {
          if (typeof chunk !== 'string') {
            run.push(chunk);
            continue;
          }
          if (run.length > 0) await fh.write(Buffer.concat(run));
          run = [];
          await rotate(chunk);
        }
        if (run.length > 0) await fh.write(Buffer.concat(run));
        if (opts.fsync === 'always') await fh.datasync();
        else dirty = true;
        for (const w of batch.waiters) w.resolve();
      } catch (err) {
        // A chain with a hole cannot be trusted: stop accepting records until restart.
        failed = new XbError('XB_EVIDENCE_WRITE_FAILED', `evidence write to ${file} failed: ${(err as Error).message}`);
        for (const w of [...batch.waiters, ...pending.waiters]) w.reject(failed);
        pending = { chunks: [], waiters: [] };
      }
    }
    writing = undefined;
  };

  const timer =
    opts.fsync === 'interval'
      ? setInterval(() => {
          if (!dirty || failed) return;
          dirty = false;
          fh.datasync().catch(() => undefined);
        }, opts.fsyncIntervalMs).unref()
      : undefined;

  // Retention: once now, then daily. Synchronous and cheap (segments' ends only), never the segment written.
  const retain = () => {
    if (opts.retentionYears === undefined) return;
    try {
      const result = pruneChain(chainDir, { retentionYears: opts.retentionYears, now: clock.now(), current: file });
      if (result.refused) opts.log?.error({ code: 'XB_EVIDENCE_CHAIN_BROKEN', chain: opts.gatewayId, reason: result.refused }, 'xborder.evidence_retention_refused');
      else if (result.removed.length > 0) opts.log?.info({ chain: opts.gatewayId, segments: result.removed.length, keptFromYear: result.keptFromYear }, 'xborder.evidence_pruned');
    } catch (err) {
      opts.log?.error({ chain: opts.gatewayId, err }, 'xborder.evidence_retention_failed');
    }
  };
  retain();
  const retention = opts.retentionYears === undefined ? undefined : setInterval(retain, RETENTION_EVERY_MS).unref();

  return {
    recovered,
    head: () => ({ seq, hash: prev }),
    append(entry: EvidenceEntry) {
      if (failed) return Promise.reject(failed);
      const day = dayOf(entry.timeMs);
      seq += 1;
      const record = Buffer.from(
        EvidenceV1.encode(
          EvidenceV1.fromObject({ version: EVIDENCE_VERSION, gatewayId: opts.gatewayId, seq, prevHash: prev, ...entry }),
        ).finish(),
      );
      const hash = sha256(record);
      prev = hash;
      const frame = Buffer.from(EvidenceFrame.encodeDelimited({ record, hash }).finish());
      // A new segment at a later day than the segment's first record (a record timed before the
      // current day, e.g. a transfer started before midnight and recorded after it, stays), or
      // before the segment would pass its size. An empty segment takes any frame.
      if (segBytes > 0 && (segBytes + frame.length > segmentBytes || (segDay !== undefined && day !== undefined && day > segDay))) {
        pending.chunks.push(join(chainDir, segmentName(seq)));
        segBytes = 0;
      }
      if (segBytes === 0) segDay = day ?? segDay;
      segBytes += frame.length;
      const mine = { seq, hash };
      return new Promise<{ seq: number; hash: Buffer }>((resolve, reject) => {
        pending.chunks.push(frame);
        pending.waiters.push({ resolve: () => resolve(mine), reject });
        // Group commit: the first append of an idle log waits one loop turn (setImmediate, after
        // the I/O callbacks and microtasks of this turn) so the transfers decided in the same turn
        // share its write and fsync; appends made while a write runs join the next batch. No
        // append resolves before its own bytes are written (and with fsync always, on disk).
        writing ??= new Promise<void>((go) => setImmediate(go)).then(flush);
      });
    },
    async close() {
      if (timer) clearInterval(timer);
      if (retention) clearInterval(retention);
      while (writing) await writing;
      await fh.datasync().catch(() => undefined);
      // Already closed when a rotation failed half-way.
      await fh.close().catch(() => undefined);
      releaseLock();
    },
  };
}

interface Head {
  readonly seq: number;
  readonly hash: Buffer;
  /** The last segment (appended to), or none yet. */
  readonly segment: string | undefined;
  /** Its size after any cut, and the China-time day of its first record. */
  readonly bytes: number;
  readonly firstDay: string | undefined;
  readonly recovered: EvidenceLog['recovered'];
}

/**
 * Find the chain's head from its last segment: its first frame must carry the seq its name says and
 * link to what precedes it (the previous segment's last frame, the anchor of a pruned chain, or
 * genesis); every frame after must follow. A torn last frame is cut; anything else that does not
 * link is refused. Reads the last segment and the previous one's last frame: O(segment), not O(chain).
 */
function recoverHead(chainDir: string): Head {
  const segments = listSegments(chainDir);
  const segment = segments.at(-1);
  if (segment === undefined) {
    // Retention never removes the last segment, so only a new chain (or an emptied folder) has none.
    const a = chainAnchor(chainDir);
    if (a.problem) throw broken(a.problem);
    return { seq: a.seq, hash: a.hash, segment: undefined, bytes: 0, firstDay: undefined, recovered: undefined };
  }

  const firstSeq = segmentFirstSeq(segment);
  // What the segment must continue from.
  let seq = firstSeq - 1;
  let hash: Buffer;
  if (firstSeq === 1) hash = GENESIS_HASH;
  else {
    const a = chainAnchor(chainDir);
    const before = segments.at(-2);
    if (!a.problem && a.seq === seq) hash = a.hash;
    else if (before !== undefined) {
      const tail = readLastFrame(before);
      if (!tail) throw broken(`${before}: incomplete or damaged frame at the end of a segment before the last`);
      const tailSeq = recordToObject(tail.record).seq;
      if (tailSeq !== seq) throw broken(`${before} ends at seq ${tailSeq}, but ${segment} starts at seq ${firstSeq}`);
      hash = tail.hash;
    } else if (a.problem) throw broken(a.problem);
    else throw broken(`${segment} starts at seq ${firstSeq} with nothing before it (no earlier segment, and ${ANCHOR_FILE} ${a.seq === 0 ? 'is missing' : `anchors seq ${a.seq}`})`);
  }

  const bytes = readFileSync(segment);
  let recovered: EvidenceLog['recovered'];
  let size = bytes.length;
  let firstDay: string | undefined;
  // With fsync `interval`, a power loss can leave the file's tail allocated but zero-filled,
  // from a frame boundary or from inside the last frame: a torn write too, not tampering.
  const zeroFrom = trailingZeroStart(bytes);
  for (const read of readFrames(bytes)) {
    const offset = read.kind === 'frame' ? read.frame.offset : read.offset;
    const damaged = read.kind === 'corrupt' || (read.kind === 'frame' && !read.frame.hash.equals(read.frame.computed));
    const end = read.kind === 'frame' ? read.frame.end : bytes.length;
    const torn = read.kind === 'torn' || (zeroFrom < bytes.length && (offset >= zeroFrom || (damaged && end > zeroFrom)));
    if (torn) {
      const fd = openSync(segment, 'r+');
      ftruncateSync(fd, offset);
      closeSync(fd);
      recovered = { tornBytes: bytes.length - offset, segment };
      size = offset;
      break;
    }
    if (read.kind === 'corrupt') throw broken(`${segment} at byte ${offset}: ${read.why}`);
    const { frame } = read;
    if (!frame.hash.equals(frame.computed)) throw broken(`${segment} at byte ${frame.offset}: frame hash does not match its record`);
    const rec = recordToObject(frame.record);
    if (rec.seq !== seq + 1) throw broken(`${segment} at byte ${frame.offset}: seq ${rec.seq} follows ${seq}`);
    if (!rec.prevHash.equals(hash)) throw broken(`${segment} at byte ${frame.offset}: seq ${rec.seq} does not link to seq ${seq}`);
    firstDay ??= dayOf(rec.timeMs);
    seq = rec.seq;
    hash = frame.hash;
  }
  return { seq, hash, segment, bytes: size, firstDay, recovered };
}

/** SHA-256 in one native call where Node has crypto.hash (20.12+, 22), else through a Hash object. */
// Read off the namespace: a named import of `hash` would fail to link on a Node 20 before 20.12.
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: Buffer, encoding: 'buffer') => Buffer }).hash;
const sha256: (data: Buffer) => Buffer = oneShot ? (data) => oneShot('sha256', data, 'buffer') : (data) => createHash('sha256').update(data).digest();

/** The China-time day of a record time, for rotation (undefined for a time no Date can hold). */
function dayOf(ms: number): string | undefined {
  // Records come in time order, mostly within one day: the last day's bounds answer without a Date.
  if (ms >= lastDay.from && ms < lastDay.to) return lastDay.day;
  if (!(Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 - 8 * 3600_000)) return undefined;
  const day = chinaDay(new Date(ms));
  const from = Date.parse(`${day}T00:00:00+08:00`);
  lastDay = Number.isFinite(from) ? { day, from, to: from + 86_400_000 } : { day: '', from: 0, to: 0 };
  return day;
}
let lastDay = { day: '', from: 0, to: 0 };

/** Where the run of zero bytes that ends the file begins (`bytes.length` when it ends otherwise). */
function trailingZeroStart(bytes: Buffer): number {
  let i = bytes.length;
  while (i > 0 && bytes[i - 1] === 0) i--;
  return i;
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Chain directories this process holds: a LOCK naming our own pid is ours only if listed here. */
const held = new Set<string>();

/**
 * One writer per chain: a LOCK file holding the writer's pid. A lock whose process is gone is
 * stale and taken over; a live one is refused (two writers would fork the chain).
 */
function lockChain(chainDir: string, gatewayId: string): () => void {
  const lock = join(chainDir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      held.add(chainDir);
      return () => {
        held.delete(chainDir);
        rmSync(lock, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new XbError('XB_EVIDENCE_WRITE_FAILED', `evidence lock ${lock}: ${(err as Error).message}`);
      const pid = Number(readFileSync(lock, 'utf8'));
      // Our own pid in a lock we do not hold: left by an earlier process that had it (a container
      // restarted with pid 1 again). Stale, like a dead process's.
      const ours = pid === process.pid && !held.has(chainDir);
      if (Number.isInteger(pid) && pid > 0 && !ours && isAlive(pid)) {
        throw new XbError('XB_EVIDENCE_LOCKED', `evidence chain ${gatewayId} is being written by process ${pid}; give each gateway process its own gatewayId`);
      }
      rmSync(lock, { force: true });
    }
  }
  throw new XbError('XB_EVIDENCE_LOCKED', `evidence chain ${gatewayId}: lock ${lock} could not be taken`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const broken = (detail: string) =>
  new XbError('XB_EVIDENCE_CHAIN_BROKEN', `evidence chain is damaged: ${detail}. Keep the files for investigation; move the chain aside to start a new one.`);
