/**
 * Segment files: `<dir>/<gatewayId>/segment-<first seq, 12 digits>.xbe`, each a run of
 * length-delimited EvidenceFrame messages (varint length, then the frame). A chain rotates to a
 * new segment by size and by China-time day (log.ts); the name says where each one starts, so
 * recovery and retention read one segment's ends instead of the whole chain.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EvidenceFrame } from './codec.js';

export const segmentName = (firstSeq: number): string => `segment-${String(firstSeq).padStart(12, '0')}.xbe`;

/** The first seq a segment file's name promises (`segment-000000000042.xbe` → 42). */
export const segmentFirstSeq = (file: string): number => Number(/^segment-(\d{12})\.xbe$/.exec(basename(file))?.[1] ?? NaN);

/** Segment files of one chain directory, oldest first. */
export function listSegments(chainDir: string): string[] {
  try {
    return readdirSync(chainDir)
      .filter((f) => /^segment-\d{12}\.xbe$/.test(f))
      .sort()
      .map((f) => join(chainDir, f));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export interface Frame {
  /** Offset of the frame's length prefix in the file. */
  readonly offset: number;
  /** Offset just past the frame. */
  readonly end: number;
  readonly record: Buffer;
  readonly hash: Buffer;
  /** SHA-256 of `record`, as computed now. */
  readonly computed: Buffer;
}

export type FrameRead = { kind: 'frame'; frame: Frame } | { kind: 'torn'; offset: number } | { kind: 'corrupt'; offset: number; why: string };

/** Read frames from a segment's bytes; stops at the first torn (incomplete) or corrupt frame. */
export function* readFrames(bytes: Buffer): Generator<FrameRead> {
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    let len = 0;
    let shift = 0;
    let byte: number;
    do {
      if (pos >= bytes.length) return yield { kind: 'torn', offset: start };
      byte = bytes[pos++] as number;
      len += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 35) return yield { kind: 'corrupt', offset: start, why: 'length prefix too long' };
    } while (byte & 0x80);
    if (pos + len > bytes.length) {
      // A crash tears only the last write, so nothing complete can follow a torn frame. If a
      // complete, hash-valid frame does follow, this length prefix was damaged: refuse, never cut.
      if (completeFrameAfter(bytes, start + 1)) return yield { kind: 'corrupt', offset: start, why: 'length prefix runs past the end of the file, yet complete frames follow (damaged, not torn)' };
      return yield { kind: 'torn', offset: start };
    }
    const body = bytes.subarray(pos, pos + len);
    pos += len;
    let decoded: { record?: Uint8Array; hash?: Uint8Array };
    try {
      decoded = EvidenceFrame.decode(body) as { record?: Uint8Array; hash?: Uint8Array };
    } catch (err) {
      return yield { kind: 'corrupt', offset: start, why: `frame does not decode: ${(err as Error).message}` };
    }
    const record = Buffer.from(decoded.record ?? []);
    const hash = Buffer.from(decoded.hash ?? []);
    const computed = createHash('sha256').update(record).digest();
    yield { kind: 'frame', frame: { offset: start, end: pos, record, hash, computed } };
  }
}

/** Smallest frame: a record field and a 32-byte hash field with their tags and lengths. */
const MIN_FRAME = 36;

/** Does a complete frame whose hash matches its record start anywhere at or after `from`? */
function completeFrameAfter(bytes: Buffer, from: number): boolean {
  for (let p = from; p + MIN_FRAME < bytes.length; p++) {
    let len = 0;
    let shift = 0;
    let q = p;
    let byte = 0x80;
    while (byte & 0x80 && q < bytes.length && shift <= 28) {
      byte = bytes[q++] as number;
      len += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    if (byte & 0x80 || len < MIN_FRAME || q + len > bytes.length) continue;
    try {
      const f = EvidenceFrame.decode(bytes.subarray(q, q + len)) as { record?: Uint8Array; hash?: Uint8Array };
      if (f.record && f.hash?.length === 32 && createHash('sha256').update(f.record).digest().equals(f.hash)) return true;
    } catch {
      // not a frame here
    }
  }
  return false;
}

/** Bytes read from a segment's end first when looking for its last frame; doubled while none is found. */
const TAIL_WINDOW = 64 * 1024;

/**
 * The first frame of a segment, reading only its bytes (undefined when the file is empty or its
 * first frame is torn or does not decode). Its hash is not checked: callers compare `computed`.
 */
export function readFirstFrame(file: string): Frame | undefined {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    let head = readAt(fd, 0, Math.min(size, TAIL_WINDOW));
    let len = 0;
    let shift = 0;
    let pos = 0;
    let byte = 0x80;
    while (byte & 0x80) {
      if (pos >= head.length || shift > 35) return undefined;
      byte = head[pos++] as number;
      len += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    if (pos + len > size) return undefined;
    if (pos + len > head.length) head = readAt(fd, 0, pos + len);
    const first = readFrames(head.subarray(0, pos + len)).next().value;
    return first?.kind === 'frame' ? first.frame : undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * The last frame of a segment, found from its end: the nearest offset whose length prefix spans
 * exactly to the end of the file and whose frame's hash matches its record. Reads a window of the
 * tail, widened until found, so the cost is the last frame's size, not the segment's. Undefined
 * when no hash-valid frame ends the file (empty, torn or damaged).
 */
export function readLastFrame(file: string): Frame | undefined {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    for (let window = Math.min(size, TAIL_WINDOW); ; window = Math.min(size, window * 4)) {
      const from = size - window;
      const tail = readAt(fd, from, window);
      for (let p = tail.length - MIN_FRAME - 1; p >= 0; p--) {
        let len = 0;
        let shift = 0;
        let q = p;
        let byte = 0x80;
        while (byte & 0x80 && q < tail.length && shift <= 28) {
          byte = tail[q++] as number;
          len += (byte & 0x7f) * 2 ** shift;
          shift += 7;
        }
        if (byte & 0x80 || q + len !== tail.length) continue;
        const read = readFrames(tail.subarray(p)).next().value;
        if (read?.kind === 'frame' && read.frame.hash.equals(read.frame.computed)) {
          const f = read.frame;
          return { ...f, offset: from + p, end: from + p + f.end };
        }
      }
      if (window === size) return undefined;
    }
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}
