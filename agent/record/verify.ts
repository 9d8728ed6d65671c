/**
 * Verify evidence chains: every frame's hash over its exact bytes, every seq following the last,
 * every prev_hash linking to the frame before. Used by `xborder evidence verify DIR` and at start.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GENESIS_HASH, recordToObject } from './codec.js';
import { listSegments, readFrames } from './segments.js';

export interface ChainReport {
  readonly gatewayId: string;
  readonly records: number;
  readonly headSeq: number;
  readonly headHash: string;
  readonly errors: readonly string[];
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly chains: readonly ChainReport[];
}

export interface VerifyOptions {
  /**
   * Accept an incomplete last frame at the end of a chain's newest segment: a record a running
   * gateway is writing now (or a crash tail it cuts at its next start). `counts rebuild` reads live
   * chains; `evidence verify` reports it.
   */
  readonly liveTail?: boolean;
}

/** Verify every chain under `dir` (one sub-folder per gateway). */
export function verifyEvidence(dir: string, opts: VerifyOptions = {}): VerifyReport {
  const chains = readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort()
    .map((name) => verifyChain(join(dir, name), name, dir, opts));
  return { ok: chains.length > 0 && chains.every((c) => c.errors.length === 0), chains };
}

function verifyChain(chainDir: string, gatewayId: string, base: string, opts: VerifyOptions): ChainReport {
  const errors: string[] = [];
  let seq = 0;
  let hash: Buffer = GENESIS_HASH;
  let records = 0;
  const segments = listSegments(chainDir);
  if (segments.length === 0) errors.push(`${gatewayId}: no segment files`);
  for (const segment of segments) {
    const shown = relative(base, segment);
    const newest = segment === segments[segments.length - 1];
    for (const read of readFrames(readFileSync(segment))) {
      if (read.kind === 'torn' && newest && opts.liveTail) break;
      if (read.kind !== 'frame') {
        errors.push(`${shown} at byte ${read.offset}: ${read.kind === 'torn' ? 'incomplete frame' : read.why}`);
        break;
      }
      const { frame } = read;
      if (!frame.hash.equals(frame.computed)) {
        errors.push(`${shown} at byte ${frame.offset}: hash does not match the record (altered)`);
        break;
      }
      const rec = recordToObject(frame.record);
      if (rec.gatewayId !== gatewayId) errors.push(`${shown} seq ${rec.seq}: gateway ${rec.gatewayId} in the chain of ${gatewayId}`);
      if (rec.seq !== seq + 1) errors.push(`${shown} at byte ${frame.offset}: seq ${rec.seq} follows ${seq} (missing or reordered)`);
      if (!rec.prevHash.equals(hash)) errors.push(`${shown} seq ${rec.seq}: does not link to seq ${seq}`);
      seq = rec.seq;
      hash = frame.hash;
      records++;
    }
  }
  return { gatewayId, records, headSeq: seq, headHash: hash.toString('hex'), errors };
}
