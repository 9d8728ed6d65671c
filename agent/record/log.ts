/**
 * The evidence log writer: one hash chain per gateway, appended in order, group-committed.
 * `append` links and encodes the record synchronously (so chain order is call order), then
 * resolves once its bytes are written and, with fsync `always`, on disk. At open, a torn last
 * frame (a crash mid-write) is cut and reported; a complete frame whose hash is wrong is refused.
 */
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { XbError } from '../errors.js';
import { EVIDENCE_VERSION, EvidenceFrame, EvidenceV1, GENESIS_HASH, recordToObject } from './codec.js';
import { listSegments, readFrames, segmentName } from './segments.js';

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

export interface EvidenceOptions {
  readonly dir: string;
  readonly gatewayId: string;
  readonly fsync: 'always' | 'interval';
  readonly fsyncIntervalMs: number;
}

export async function openEvidenceLog(opts: EvidenceOptions): Promise<EvidenceLog> {
  const chainDir = join(opts.dir, opts.gatewayId);
  mkdirSync(chainDir, { recursive: true, mode: 0o700 });
  const releaseLock = lockChain(chainDir, opts.gatewayId);
  let head: ReturnType<typeof recoverHead>;
  try {
    head = recoverHead(chainDir);
  } catch (err) {
    releaseLock();
    throw err;
  }
  const { seq: lastSeq, hash: lastHash, segment, recovered } = head;
  const file = segment ?? join(chainDir, segmentName(lastSeq + 1));
  let fh: FileHandle;
  try {
    fh = await open(file, 'a', 0o600);
  } catch (err) {
    releaseLock();
    throw new XbError('XB_EVIDENCE_WRITE_FAILED', `evidence segment ${file} cannot be opened: ${(err as Error).message}`);
  }

  let seq = lastSeq;
  let prev = lastHash;
  let pending: { bytes: Buffer[]; waiters: { resolve: () => void; reject: (e: Error) => void }[] } = { bytes: [], waiters: [] };
  let writing: Promise<void> | undefined;
  let failed: Error | undefined;
  let dirty = false;

  const flush = async (): Promise<void> => {
    while (pending.bytes.length > 0) {
      const batch = pending;
      pending = { bytes: [], waiters: [] };
      try {
        await fh.write(Buffer.concat(batch.bytes));
        if (opts.fsync === 'always') await fh.datasync();
        else dirty = true;
        for (const w of batch.waiters) w.resolve();
      } catch (err) {
        // A chain with a hole cannot be trusted: stop accepting records until restart.
        failed = new XbError('XB_EVIDENCE_WRITE_FAILED', `evidence write to ${file} failed: ${(err as Error).message}`);
        for (const w of [...batch.waiters, ...pending.waiters]) w.reject(failed);
        pending = { bytes: [], waiters: [] };
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

  return {
    recovered,
    head: () => ({ seq, hash: prev }),
    append(entry: EvidenceEntry) {
      if (failed) return Promise.reject(failed);
      seq += 1;
      const record = Buffer.from(
        EvidenceV1.encode(
          EvidenceV1.fromObject({ version: EVIDENCE_VERSION, gatewayId: opts.gatewayId, seq, prevHash: prev, ...entry }),
        ).finish(),
      );
      const hash = createHash('sha256').update(record).digest();
      prev = hash;
      const frame = Buffer.from(EvidenceFrame.encodeDelimited({ record, hash }).finish());
      const mine = { seq, hash };
      return new Promise<{ seq: number; hash: Buffer }>((resolve, reject) => {
        pending.bytes.push(frame);
        pending.waiters.push({ resolve: () => resolve(mine), reject });
        writing ??= flush();
      });
    },
    async close() {
      if (timer) clearInterval(timer);
      while (writing) await writing;
      await fh.datasync().catch(() => undefined);
      await fh.close();
      releaseLock();
    },
  };
}

/**
 * Find the chain's head by reading its segments in order; cut a torn last frame of the last
 * segment; refuse anything else that does not link. (Reads the whole chain: segments rotate with
 * the evidence issue, which will start from the last segment's own first frame instead.)
 */
function recoverHead(chainDir: string): { seq: number; hash: Buffer; segment: string | undefined; recovered: EvidenceLog['recovered'] } {
  const segments = listSegments(chainDir);
  let seq = 0;
  let hash: Buffer = GENESIS_HASH;
  let recovered: EvidenceLog['recovered'];
  for (const segment of segments) {
    const bytes = readFileSync(segment);
    const isLast = segment === segments.at(-1);
    // With fsync `interval`, a power loss can leave the file's tail allocated but zero-filled,
    // from a frame boundary or from inside the last frame: a torn write too, not tampering.
    const zeroFrom = isLast ? trailingZeroStart(bytes) : bytes.length;
    for (const read of readFrames(bytes)) {
      const offset = read.kind === 'frame' ? read.frame.offset : read.offset;
      const damaged = read.kind === 'corrupt' || (read.kind === 'frame' && !read.frame.hash.equals(read.frame.computed));
      const end = read.kind === 'frame' ? read.frame.end : bytes.length;
      const torn = read.kind === 'torn' || (zeroFrom < bytes.length && (offset >= zeroFrom || (damaged && end > zeroFrom)));
      if (torn) {
        if (!isLast) throw broken(`${segment} at byte ${offset}: incomplete frame before the last segment`);
        const fd = openSync(segment, 'r+');
        ftruncateSync(fd, offset);
        closeSync(fd);
        recovered = { tornBytes: bytes.length - offset, segment };
        break;
      }
      if (read.kind === 'corrupt') throw broken(`${segment} at byte ${offset}: ${read.why}`);
      const { frame } = read;
      if (!frame.hash.equals(frame.computed)) throw broken(`${segment} at byte ${frame.offset}: frame hash does not match its record`);
      const rec = recordToObject(frame.record);
      if (rec.seq !== seq + 1) throw broken(`${segment} at byte ${frame.offset}: seq ${rec.seq} follows ${seq}`);
      if (!rec.prevHash.equals(hash)) throw broken(`${segment} at byte ${frame.offset}: seq ${rec.seq} does not link to seq ${seq}`);
      seq = rec.seq;
      hash = frame.hash;
    }
  }
  return { seq, hash, segment: segments.at(-1), recovered };
}

/** Where the run of zero bytes that ends the file begins (`bytes.length` when it ends otherwise). */
function trailingZeroStart(bytes: Buffer): number {
  let i = bytes.length;
  while (i > 0 && bytes[i - 1] === 0) i--;
  return i;
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
