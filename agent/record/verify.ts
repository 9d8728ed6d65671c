/**
 * Verify evidence chains: every frame's hash over its exact bytes, every seq following the last,
 * every prev_hash linking to the frame before. Used by `xborder evidence verify DIR` and at start.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { XbError } from '../errors.js';
import { recordToObject } from './codec.js';
import { listChains } from './read.js';
import { chainAnchor } from './retention.js';
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
  // A pruned chain (retention.ts) starts after the anchor its pruned.json records.
  const anchor = chainAnchor(chainDir);
  const errors: string[] = anchor.problem ? [`${gatewayId}: ${anchor.problem}`] : [];
  let seq = anchor.seq;
  let hash: Buffer = anchor.hash;
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

/**
 * Verify every chain under several evidence folders, as readers of live evidence need it
 * (`counts rebuild`, `evidence export`): a folder without chains is an error, and an incomplete
 * last frame a running gateway is writing now is not (liveTail). Returns each chain's report with
 * its folder, and every problem as `<folder>: <problem>`.
 */
export function verifyFolders(dirs: readonly string[]): { chains: (ChainReport & { dir: string })[]; errors: string[] } {
  if (dirs.length === 0) throw new XbError('XB_EVIDENCE_CHAIN_BROKEN', 'no evidence folder given');
  const chains: (ChainReport & { dir: string })[] = [];
  const errors: string[] = [];
  for (const dir of dirs) {
    if (listChains(dir).length === 0) {
      errors.push(`${dir}: no evidence chains (a chain is a sub-folder of segment files)`);
      continue;
    }
    for (const c of verifyEvidence(dir, { liveTail: true }).chains) {
      chains.push({ ...c, dir });
      for (const e of c.errors) errors.push(`${dir}: ${e}`);
    }
  }
  return { chains, errors };
}

