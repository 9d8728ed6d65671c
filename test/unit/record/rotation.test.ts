/**
 * Segment rotation and retention on real files: a chain rotates by size and by China-time day and
 * stays linked across files; reopening continues it from the last segment; a torn tail in the
 * last of several segments is cut; retention removes whole old segments behind a `pruned.json`
 * anchor, and the pruned chain verifies (and fails when the anchor is altered).
 */
import { appendFileSync, copyFileSync, existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../../agent/clock.js';
import { GENESIS_HASH, recordToObject } from '../../../agent/record/codec.js';
import { openEvidenceLog, type EvidenceEntry, type EvidenceOptions } from '../../../agent/record/log.js';
import { ANCHOR_FILE, chainAnchor, pruneChain } from '../../../agent/record/retention.js';
import { listSegments, readFrames, segmentName } from '../../../agent/record/segments.js';
import { verifyEvidence } from '../../../agent/record/verify.js';
import { tempDir } from '../support/policy.js';

const GATEWAY = 'gw-rot';
/** Unix ms of a China-time wall clock reading, e.g. `2026-05-01T23:59:59.500`. */
const cn = (wall: string): number => Date.parse(`${wall}+08:00`);
const clockAt = (wall: string): Clock => ({ now: () => new Date(cn(wall)) });

/** A TRANSFER at `timeMs` with fixed values only (about 200 bytes a frame). */
const transfer = (n: number, timeMs: number): EvidenceEntry => ({
  kind: 'TRANSFER',
  timeMs,
  transferId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  transfer: {
    route: 'sg-logistics',
    direction: 'push',
    recipient: 'Example Logistics Pte. Ltd.',
    recipientCountry: 'SG',
    dataItems: ['shipper-contact'],
    recordCount: 1,
    subjectCount: 1,
    persons: [Buffer.alloc(16, n)],
    year: new Date(timeMs + 8 * 3600_000).getUTCFullYear(),
    admitted: true,
    decision: 'allow',
    bodySha256: Buffer.alloc(32, n),
    bodySize: 100 + n,
  },
});
const MAY1 = cn('2026-05-01T12:00:00');

let tmp: ReturnType<typeof tempDir>;
let chainDir: string;
const options = (more: Partial<EvidenceOptions> = {}): EvidenceOptions => ({ dir: tmp.dir, gatewayId: GATEWAY, fsync: 'always', fsyncIntervalMs: 200, ...more });

beforeEach(() => {
  tmp = tempDir('rotation');
  chainDir = join(tmp.dir, GATEWAY);
});
afterEach(() => tmp.remove());

async function write(entries: readonly EvidenceEntry[], more: Partial<EvidenceOptions> = {}) {
  const log = await openEvidenceLog(options(more));
  for (const e of entries) await log.append(e);
  const head = log.head();
  await log.close();
  return head;
}
/** Records of one segment, with their frame hashes and byte ranges. */
const framesOf = (segment: string) =>
  [...readFrames(readFileSync(segment))].map((r) => {
    if (r.kind !== 'frame') throw new Error(`unexpected ${r.kind} frame in ${segment}`);
    return { ...recordToObject(r.frame.record), hash: r.frame.hash, offset: r.frame.offset, end: r.frame.end };
  });
/** seqs per segment file, by file name. */
const layout = () => Object.fromEntries(listSegments(chainDir).map((s) => [basename(s), framesOf(s).map((r) => r.seq)]));

/** Every segment is named after its first record, and its first record links to the previous segment's last. */
function expectLinkedAcrossFiles(): void {
  const segments = listSegments(chainDir);
  let before: { seq: number; hash: Buffer } | undefined;
  for (const segment of segments) {
    const recs = framesOf(segment);
    const first = recs[0];
    if (!first) throw new Error(`${segment} is empty`);
    expect(basename(segment)).toBe(segmentName(first.seq));
    if (before) {
      expect(first.seq).toBe(before.seq + 1);
      expect(first.prevHash.equals(before.hash)).toBe(true);
    }
    const last = recs.at(-1) as (typeof recs)[number];
    before = { seq: last.seq, hash: last.hash };
  }
}

describe('rotation by size', () => {
  it('starts a new segment before one would pass segmentBytes, linked across files', async () => {
    const head = await write(Array.from({ length: 20 }, (_, i) => transfer(i + 1, MAY1 + i)), { segmentBytes: 1024 });
    const segments = listSegments(chainDir);
    expect(segments.length).toBeGreaterThan(3);
    for (const s of segments) expect(statSync(s).size).toBeLessThanOrEqual(1024);
    // Each segment is full: the next frame would not have fit.
    for (let i = 0; i + 1 < segments.length; i++) {
      const next = framesOf(segments[i + 1] as string)[0] as { offset: number; end: number };
      expect(statSync(segments[i] as string).size + next.end - next.offset).toBeGreaterThan(1024);
    }
    expect(Object.values(layout()).flat()).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expectLinkedAcrossFiles();
    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: true, chains: [{ records: 20, headSeq: 20, headHash: head.hash.toString('hex'), errors: [] }] });
  });

  it('gives a frame larger than segmentBytes a segment of its own', async () => {
    await write([transfer(1, MAY1), transfer(2, MAY1 + 1), transfer(3, MAY1 + 2)], { segmentBytes: 64 });
    expect(layout()).toEqual({ [segmentName(1)]: [1], [segmentName(2)]: [2], [segmentName(3)]: [3] });
    expect(verifyEvidence(tmp.dir).ok).toBe(true);
  });

  it('keeps group commit: records appended together land in order across a rotation', async () => {
    const log = await openEvidenceLog(options({ segmentBytes: 700 }));
    const acks = await Promise.all(Array.from({ length: 30 }, (_, i) => log.append(transfer(i + 1, MAY1 + i))));
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    await log.close();
    expectLinkedAcrossFiles();
    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: true, chains: [{ records: 30 }] });
  });
});

describe('rotation by China-time day', () => {
  const day = [
    transfer(1, cn('2026-05-01T07:59:59')),
    transfer(2, cn('2026-05-01T08:00:01')), // UTC midnight: same China day, same segment
    transfer(3, cn('2026-05-01T23:59:59.500')),
    transfer(4, cn('2026-05-02T00:00:00.200')), // 00:00 +08:00: a new segment
    transfer(5, cn('2026-05-01T23:59:59.900')), // started before midnight, recorded after: stays
    transfer(6, cn('2026-05-02T10:00:00')),
  ];

  it('starts a new segment at 00:00 +08:00, not at UTC midnight, linked to the day before', async () => {
    await write(day);
    expect(layout()).toEqual({ [segmentName(1)]: [1, 2, 3], [segmentName(4)]: [4, 5, 6] });
    expectLinkedAcrossFiles();
    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: true, chains: [{ records: 6, headSeq: 6 }] });
  });

  it('after reopening, goes on in the last segment that day and rotates at the next', async () => {
    const first = await write(day);
    const log = await openEvidenceLog(options());
    expect(log.head()).toEqual(first);
    expect(log.recovered).toBeUndefined();
    expect((await log.append(transfer(7, cn('2026-05-02T23:00:00')))).seq).toBe(7);
    await log.append(transfer(8, cn('2026-05-03T00:00:01')));
    await log.close();
    expect(layout()).toEqual({ [segmentName(1)]: [1, 2, 3], [segmentName(4)]: [4, 5, 6, 7], [segmentName(8)]: [8] });
    expectLinkedAcrossFiles();
    expect(verifyEvidence(tmp.dir).ok).toBe(true);
  });
});

describe('opening a rotated chain', () => {
  it('continues from the last segment: head, seq, links, and its size so far', async () => {
    const first = await write(Array.from({ length: 10 }, (_, i) => transfer(i + 1, MAY1 + i)), { segmentBytes: 1024 });
    const log = await openEvidenceLog(options({ segmentBytes: 1024 }));
    expect(log.head()).toEqual(first);
    for (let i = 11; i <= 25; i++) await log.append(transfer(i, MAY1 + i));
    await log.close();
    for (const s of listSegments(chainDir)) expect(statSync(s).size).toBeLessThanOrEqual(1024);
    expectLinkedAcrossFiles();
    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: true, chains: [{ records: 25, headSeq: 25 }] });
  });

  it('reads only the last segment and the end of the one before: damage inside an older segment is left to verify', async () => {
    await write(Array.from({ length: 12 }, (_, i) => transfer(i + 1, MAY1 + i)), { segmentBytes: 1024 });
    const [oldest] = listSegments(chainDir);
    const bytes = readFileSync(oldest as string);
    const second = framesOf(oldest as string)[1] as { offset: number; end: number };
    bytes[second.offset + 20] = (bytes[second.offset + 20] as number) ^ 0x01;
    writeFileSync(oldest as string, bytes);

    const log = await openEvidenceLog(options({ segmentBytes: 1024 }));
    expect(log.head().seq).toBe(12);
    await log.close();
    const report = verifyEvidence(tmp.dir);
    expect(report.ok).toBe(false);
    expect(report.chains[0]?.errors[0]).toContain('hash does not match the record');
  });

  it('refuses a last segment that does not follow the one before (its last record removed)', async () => {
    await write(Array.from({ length: 12 }, (_, i) => transfer(i + 1, MAY1 + i)), { segmentBytes: 1024 });
    const segments = listSegments(chainDir);
    const before = segments.at(-2) as string;
    const last = framesOf(before).at(-1) as { offset: number };
    truncateSync(before, last.offset);
    await expect(openEvidenceLog(options())).rejects.toMatchObject({ code: 'XB_EVIDENCE_CHAIN_BROKEN', message: expect.stringContaining('starts at seq') });
  });

  it('refuses a last segment whose first record does not link to the one before', async () => {
    await write(Array.from({ length: 12 }, (_, i) => transfer(i + 1, MAY1 + i)), { segmentBytes: 1024 });
    const segments = listSegments(chainDir);
    // The previous segment's last frame replaced by a different, valid record of the same seq.
    const before = segments.at(-2) as string;
    const recs = framesOf(before);
    const last = recs.at(-1) as (typeof recs)[number];
    const other = join(tmp.dir, 'other');
    const log = await openEvidenceLog({ ...options(), dir: other });
    for (let i = 1; i <= last.seq; i++) await log.append(transfer(i, MAY1 + 1000 + i));
    await log.close();
    const forged = framesOf(listSegments(join(other, GATEWAY))[0] as string).at(-1) as (typeof recs)[number];
    const otherBytes = readFileSync(listSegments(join(other, GATEWAY))[0] as string).subarray(forged.offset, forged.end);
    writeFileSync(before, Buffer.concat([readFileSync(before).subarray(0, last.offset), otherBytes]));
    await expect(openEvidenceLog(options())).rejects.toMatchObject({ code: 'XB_EVIDENCE_CHAIN_BROKEN', message: expect.stringContaining('does not link') });
  });
});

describe('a torn tail in the last of several segments', () => {
  it('is cut at open; the chain then verifies and continues', async () => {
    const head = await write(Array.from({ length: 12 }, (_, i) => transfer(i + 1, MAY1 + i)), { segmentBytes: 1024 });
    const last = listSegments(chainDir).at(-1) as string;
    const intact = readFileSync(last);
    appendFileSync(last, Buffer.from([0xc8, 0x01, 0x0a, 0x4e, 0x08, 0x01]));
    expect(verifyEvidence(tmp.dir).ok).toBe(false);

    const log = await openEvidenceLog(options({ segmentBytes: 1024 }));
    expect(log.recovered).toEqual({ tornBytes: 6, segment: last });
    expect(log.head()).toEqual(head);
    expect(readFileSync(last).equals(intact)).toBe(true);
    await log.append(transfer(13, MAY1 + 13));
    await log.close();
    expectLinkedAcrossFiles();
    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: true, chains: [{ records: 13, headSeq: 13 }] });
  });

  it('a new segment holding only a torn first frame is cut to empty, and the head comes from the segment before', async () => {
    const head = await write(Array.from({ length: 8 }, (_, i) => transfer(i + 1, MAY1 + i)), { segmentBytes: 1024 });
    const fresh = join(chainDir, segmentName(head.seq + 1));
    writeFileSync(fresh, Buffer.from([0xc8, 0x01, 0x0a]));

    const log = await openEvidenceLog(options({ segmentBytes: 1024 }));
    expect(log.recovered).toEqual({ tornBytes: 3, segment: fresh });
    expect(log.head()).toEqual(head);
    await log.append(transfer(9, MAY1 + 9));
    await log.close();
    expect(framesOf(fresh).map((r) => r.seq)).toEqual([9]);
    expectLinkedAcrossFiles();
    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: true, chains: [{ records: 9 }] });
  });

  it('an incomplete frame at the end of an earlier segment is refused, never cut', async () => {
    await write(Array.from({ length: 12 }, (_, i) => transfer(i + 1, MAY1 + i)), { segmentBytes: 1024 });
    const before = listSegments(chainDir).at(-2) as string;
    appendFileSync(before, Buffer.from([0xc8, 0x01, 0x0a]));
    const bytes = readFileSync(before);
    await expect(openEvidenceLog(options())).rejects.toMatchObject({ code: 'XB_EVIDENCE_CHAIN_BROKEN' });
    expect(readFileSync(before).equals(bytes)).toBe(true);
  });
});

describe('retention', () => {
  // One segment per China-time day.
  const years = [
    transfer(1, cn('2022-03-01T10:00:00')),
    transfer(2, cn('2022-03-01T11:00:00')),
    transfer(3, cn('2023-06-01T10:00:00')),
    transfer(4, cn('2023-12-31T23:30:00')),
    transfer(5, cn('2024-02-01T10:00:00')),
    transfer(6, cn('2026-05-01T10:00:00')),
  ];
  const at = (wall: string) => new Date(cn(wall));

  it('removes whole segments older than the years kept, writing the anchor first; the pruned chain verifies', async () => {
    const full = await write(years);
    expect(Object.keys(layout())).toEqual([1, 3, 4, 5, 6].map(segmentName));

    // 2027, 3 years: 2024 onwards kept. The segment of 31 December 2023 is within a day of it: kept a year longer.
    const result = pruneChain(chainDir, { retentionYears: 3, now: at('2027-03-01T09:00:00') });
    expect(result).toEqual({ removed: [1, 3].map((s) => join(chainDir, segmentName(s))), keptFromYear: 2024 });
    expect(Object.keys(layout())).toEqual([4, 5, 6].map(segmentName));
    const seq3 = framesOf(join(chainDir, segmentName(4)))[0]?.prevHash as Buffer;
    expect(JSON.parse(readFileSync(join(chainDir, ANCHOR_FILE), 'utf8'))).toEqual({
      lastPrunedSeq: 3,
      lastPrunedHash: seq3.toString('hex'),
      prunedAt: '2027-03-01T01:00:00.000Z',
      segmentsRemoved: 2,
      keptFromYear: 2024,
    });
    expect(chainAnchor(chainDir)).toEqual({ seq: 3, hash: seq3 });
    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: true, chains: [{ records: 3, headSeq: 6, headHash: full.hash.toString('hex'), errors: [] }] });

    // A year on, the rest of 2023 and 2024's segment go; the last segment (being written) never does.
    const later = pruneChain(chainDir, { retentionYears: 3, now: at('2028-01-01T00:00:00') });
    expect(later.removed.map((f) => basename(f))).toEqual([4, 5].map(segmentName));
    expect(JSON.parse(readFileSync(join(chainDir, ANCHOR_FILE), 'utf8'))).toMatchObject({ lastPrunedSeq: 5, segmentsRemoved: 4, keptFromYear: 2025 });
    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: true, chains: [{ records: 1, headSeq: 6, errors: [] }] });
  });

  it('keeps the records of 2026 through 2029 (default 3 years) and removes them on 1 January 2030, China time', async () => {
    await write([transfer(1, cn('2026-12-30T10:00:00')), transfer(2, cn('2030-01-02T10:00:00'))]);
    expect(pruneChain(chainDir, { retentionYears: 3, now: at('2029-12-31T23:59:59') }).removed).toEqual([]);
    expect(pruneChain(chainDir, { retentionYears: 3, now: at('2030-01-01T00:00:00') }).removed).toEqual([join(chainDir, segmentName(1))]);
    expect(verifyEvidence(tmp.dir).ok).toBe(true);
  });

  it('never removes the last segment, nor the one being written', async () => {
    await write(years.slice(0, 3));
    expect(pruneChain(chainDir, { retentionYears: 1, now: at('2040-01-01T00:00:00'), current: join(chainDir, segmentName(1)) }).removed).toEqual([]);
    expect(pruneChain(chainDir, { retentionYears: 1, now: at('2040-01-01T00:00:00') }).removed).toEqual([join(chainDir, segmentName(1))]);
    expect(Object.keys(layout())).toEqual([segmentName(3)]);
  });

  it('runs when the log opens (with its clock), then the chain continues from the last segment', async () => {
    await write(years);
    const logged: { msg: string; obj: object }[] = [];
    const log = { info: (obj: object, msg: string) => logged.push({ obj, msg }), error: (obj: object, msg: string) => logged.push({ obj, msg }) };
    const writer = await openEvidenceLog(options({ retentionYears: 2, clock: clockAt('2027-01-01T08:00:00'), log }));
    expect(logged).toEqual([{ msg: 'xborder.evidence_pruned', obj: { chain: GATEWAY, segments: 4, keptFromYear: 2025 } }]);
    await writer.append(transfer(7, cn('2027-01-01T08:00:01')));
    await writer.close();
    expect(layout()).toEqual({ [segmentName(6)]: [6], [segmentName(7)]: [7] });
    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: true, chains: [{ records: 2, headSeq: 7 }] });

    // Reopening a chain whose first kept segment is its last: that segment links to the anchor.
    const again = await openEvidenceLog(options({ retentionYears: 2, clock: clockAt('2027-01-02T08:00:00') }));
    expect(again.head().seq).toBe(7);
    await again.close();
  });

  it('runs again every 24 hours while the log is open, on the clock it was given', async () => {
    await write(years);
    let now = cn('2026-06-01T12:00:00');
    const logged: string[] = [];
    const log = { info: (_: object, msg: string) => logged.push(msg), error: (_: object, msg: string) => logged.push(msg) };
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const writer = await openEvidenceLog(options({ retentionYears: 3, clock: { now: () => new Date(now) }, log }));
      expect(logged).toEqual(['xborder.evidence_pruned']); // 2022's segment, at open
      expect(Object.keys(layout())).toEqual([3, 4, 5, 6].map(segmentName));
      now = cn('2027-06-01T12:00:00');
      vi.advanceTimersByTime(24 * 3600 * 1000 - 1);
      expect(logged).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(logged).toEqual(['xborder.evidence_pruned', 'xborder.evidence_pruned']);
      expect(Object.keys(layout())).toEqual([4, 5, 6].map(segmentName));
      await writer.close();
    } finally {
      vi.useRealTimers();
    }
    expect(verifyEvidence(tmp.dir).ok).toBe(true);
  });

  it('fails verification when the anchor is altered or missing', async () => {
    await write(years);
    pruneChain(chainDir, { retentionYears: 3, now: at('2027-03-01T09:00:00') });
    const anchorFile = join(chainDir, ANCHOR_FILE);
    const good = readFileSync(anchorFile, 'utf8');
    const anchor = JSON.parse(good) as { lastPrunedSeq: number; lastPrunedHash: string };

    const hash = anchor.lastPrunedHash;
    writeFileSync(anchorFile, JSON.stringify({ ...anchor, lastPrunedHash: (hash[0] === '0' ? '1' : '0') + hash.slice(1) }));
    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: false, chains: [{ errors: [expect.stringContaining('does not link to seq 3')] }] });

    writeFileSync(anchorFile, JSON.stringify({ ...anchor, lastPrunedSeq: 2 }));
    expect(verifyEvidence(tmp.dir).chains[0]?.errors.join('\n')).toMatch(/seq 4 follows 2/);

    writeFileSync(anchorFile, '{"lastPrunedSeq": "three"}');
    expect(verifyEvidence(tmp.dir).chains[0]?.errors.join('\n')).toMatch(/pruned\.json is not a valid anchor/);

    writeFileSync(anchorFile, good);
    expect(verifyEvidence(tmp.dir).ok).toBe(true);
    rmSync(anchorFile);
    expect(verifyEvidence(tmp.dir).chains[0]?.errors.join('\n')).toMatch(/seq 4 follows 0/);
  });

  it('a writer refuses to open a chain whose only segment does not link to the anchor', async () => {
    await write(years);
    pruneChain(chainDir, { retentionYears: 1, now: at('2027-03-01T09:00:00') });
    expect(Object.keys(layout())).toEqual([segmentName(6)]);
    const anchorFile = join(chainDir, ANCHOR_FILE);
    const anchor = JSON.parse(readFileSync(anchorFile, 'utf8')) as { lastPrunedHash: string };
    writeFileSync(anchorFile, JSON.stringify({ ...anchor, lastPrunedHash: 'f'.repeat(64) }));
    await expect(openEvidenceLog(options())).rejects.toMatchObject({ code: 'XB_EVIDENCE_CHAIN_BROKEN', message: expect.stringContaining('does not link') });
  });

  it('finishes a prune a crash interrupted after the anchor was written', async () => {
    await write(years);
    const oldest = join(chainDir, segmentName(1));
    const kept = join(tmp.dir, 'copy.xbe');
    copyFileSync(oldest, kept);
    pruneChain(chainDir, { retentionYears: 3, now: at('2027-03-01T09:00:00') });
    copyFileSync(kept, oldest); // as if the crash came before this file was removed
    expect(verifyEvidence(tmp.dir).ok).toBe(false);

    const again = pruneChain(chainDir, { retentionYears: 3, now: at('2027-03-02T09:00:00') });
    expect(again.removed).toEqual([oldest]);
    expect(JSON.parse(readFileSync(join(chainDir, ANCHOR_FILE), 'utf8'))).toMatchObject({ lastPrunedSeq: 3, segmentsRemoved: 2 });
    expect(verifyEvidence(tmp.dir).ok).toBe(true);
  });

  it('removes nothing when the kept chain would not link to the cut (it would hide a break)', async () => {
    await write(years);
    // 2023-06-01's segment replaced by a copy of an older record: the next segment no longer follows it.
    const oldest = join(chainDir, segmentName(1));
    writeFileSync(join(chainDir, segmentName(3)), readFileSync(oldest).subarray(0, framesOf(oldest)[1]?.offset));
    const before = Object.keys(layout());
    const result = pruneChain(chainDir, { retentionYears: 3, now: at('2027-03-01T09:00:00') });
    expect(result.removed).toEqual([]);
    expect(result.refused).toMatch(/does not link/);
    expect(existsSync(join(chainDir, ANCHOR_FILE))).toBe(false);
    expect(Object.keys(layout())).toEqual(before);
  });

  it('an unpruned chain starts at genesis', () => {
    expect(chainAnchor(chainDir)).toEqual({ seq: 0, hash: GENESIS_HASH });
  });
});
