/**
 * Segment files: `<dir>/<gatewayId>/segment-<first seq, 12 digits>.xbe`, each a run of
 * length-delimited EvidenceFrame messages (varint length, then the frame).
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EvidenceFrame } from './codec.js';

export const segmentName = (firstSeq: number): string => `segment-${String(firstSeq).padStart(12, '0')}.xbe`;

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
