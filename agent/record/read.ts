/**
 * Read evidence back: every chain under an evidence folder (one sub-folder per gateway), for
 * `xborder counts rebuild` and the start-up check that the store still holds this year's counts.
 * A chain is read up to its first torn or altered frame; `verifyEvidence` reports those.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chinaYear } from '../clock.js';
import { recordToObject, type EvidenceObject } from './codec.js';
import { listSegments, readFrames } from './segments.js';

export interface ChainRecord {
  readonly chain: string;
  readonly record: EvidenceObject;
}

/** The gateway chains under `dir`, by name. */
export function listChains(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => statSync(join(dir, name)).isDirectory())
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every readable record of one segment file, in order. */
function* segmentRecords(file: string): Generator<EvidenceObject> {
  for (const read of readFrames(readFileSync(file))) {
    if (read.kind !== 'frame' || !read.frame.hash.equals(read.frame.computed)) return;
    yield recordToObject(read.frame.record);
  }
}

/** Every record of every chain under `dir`, each chain oldest first. */
export function* readRecords(dir: string): Generator<ChainRecord> {
  for (const chain of listChains(dir)) {
    for (const segment of listSegments(join(dir, chain))) {
      for (const record of segmentRecords(segment)) yield { chain, record };
    }
  }
}

/** Did persons get counted in `year` (an admitted TRANSFER or BACKFILL naming persons)? */
export const countedPersons = (r: EvidenceObject, year?: number): boolean =>
  (r.kind === 'TRANSFER' || r.kind === 'BACKFILL') &&
  r.transfer?.admitted === true &&
  r.transfer.persons.length > 0 &&
  (year === undefined || r.transfer.year === year);

/**
 * Does the evidence under `dir` show persons counted in `year`? Reads each chain newest segment
 * first and stops at a segment that began before the year, so the cost is this year's records.
 */
export function hasCountedPersons(dir: string, year: number): boolean {
  for (const chain of listChains(dir)) {
    for (const segment of listSegments(join(dir, chain)).reverse()) {
      let first: EvidenceObject | undefined;
      for (const record of segmentRecords(segment)) {
        first ??= record;
        if (countedPersons(record, year)) return true;
      }
      if (first && chinaYear(new Date(first.timeMs)) < year) break;
    }
  }
  return false;
}
