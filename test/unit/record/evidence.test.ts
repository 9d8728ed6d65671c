/**
 * The evidence log on real files: the hash chain verifies, survives reopen, refuses a tampered
 * frame, cuts a torn tail, and encodes a fixed chain to a pinned head hash (the golden test).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XbError } from '../../../agent/errors.js';
import { GENESIS_HASH, recordToObject } from '../../../agent/record/codec.js';
import { openEvidenceLog, type EvidenceEntry, type EvidenceOptions } from '../../../agent/record/log.js';
import { listSegments, readFrames } from '../../../agent/record/segments.js';
import { verifyEvidence } from '../../../agent/record/verify.js';
import { tempDir } from '../support/policy.js';

const GATEWAY = 'gw-test';
const T0 = Date.UTC(2025, 5, 1, 4, 0, 0); // 2025-06-01 12:00 China time

/** A TRANSFER entry with fixed values only: no clock, no randomness. */
const transferEntry = (n: number): EvidenceEntry => ({
  kind: 'TRANSFER',
  timeMs: T0 + n * 1000,
  transferId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  transfer: {
    route: 'sg-logistics',
    direction: 'push',
    recipient: 'Example Logistics Pte. Ltd.',
    recipientCountry: 'SG',
    regime: 'guangxi',
    list: 'guangxi-2025',
    domain: 'live-commerce',
    scenario: 'cross-border-delivery',
    dataItems: ['shipper-contact', 'shipper-name'],
    recordCount: 2,
    subjectCount: 2,
    persons: [Buffer.alloc(16, n), Buffer.alloc(16, n + 100)],
    year: 2025,
    admitted: true,
    counters: [{ counter: 'guangxi-2025/live-commerce/limited', before: n * 2, added: 2, after: n * 2 + 2, persons: [0, 1] }],
    decision: 'allow',
    reason: 'within-thresholds',
    enforceWouldBlock: false,
    rules: [],
    policyRevision: 'f'.repeat(64),
    filings: [],
    bodySha256: Buffer.alloc(32, n),
    bodySize: 512 + n,
    errorCode: '',
  },
});
const outcomeEntry = (n: number): EvidenceEntry => ({
  kind: 'OUTCOME',
  timeMs: T0 + n * 1000 + 250,
  transferId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  outcome: { upstreamStatus: 200, errorCode: '', responseBytes: 17 },
});
const startEntry: EvidenceEntry = { kind: 'START', timeMs: T0, lifecycle: { policyRevision: 'f'.repeat(64), version: '0.1.0', detail: 'test' } };

let tmp: ReturnType<typeof tempDir>;
let opts: EvidenceOptions;

beforeEach(() => {
  tmp = tempDir('evidence');
  opts = { dir: tmp.dir, gatewayId: GATEWAY, fsync: 'always', fsyncIntervalMs: 200 };
});
afterEach(() => tmp.remove());

async function writeChain(entries: readonly EvidenceEntry[]): Promise<{ seq: number; hash: Buffer }> {
  const log = await openEvidenceLog(opts);
  for (const e of entries) await log.append(e);
  const head = log.head();
  await log.close();
  return head;
}
/** A chain of three transfers; its only segment, the segment's bytes and its middle frame. */
async function threeFrameChain() {
  await writeChain([transferEntry(1), transferEntry(2), transferEntry(3)]);
  const segment = onlySegment();
  const bytes = readFileSync(segment);
  const middle = [...readFrames(bytes)].flatMap((r) => (r.kind === 'frame' ? [r.frame] : []))[1];
  if (!middle) throw new Error('expected three frames');
  return { segment, bytes, middle };
}

const onlySegment = (): string => {
  const segments = listSegments(join(tmp.dir, GATEWAY));
  expect(segments).toHaveLength(1);
  return segments[0] as string;
};
const records = (segment: string) =>
  [...readFrames(readFileSync(segment))].map((r) => {
    if (r.kind !== 'frame') throw new Error(`unexpected ${r.kind} frame at ${r.offset}`);
    return { ...recordToObject(r.frame.record), hash: r.frame.hash };
  });

describe('a fresh chain', () => {
  it('starts at seq 0 with the genesis hash', async () => {
    const log = await openEvidenceLog(opts);
    expect(log.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
    expect(log.recovered).toBeUndefined();
    await log.close();
  });

  it('links every record to the one before and verifies', async () => {
    const head = await writeChain([startEntry, transferEntry(1), outcomeEntry(1), transferEntry(2)]);
    expect(head.seq).toBe(4);
    const recs = records(onlySegment());
    expect(recs.map((r) => [r.seq, r.kind])).toEqual([
      [1, 'START'],
      [2, 'TRANSFER'],
      [3, 'OUTCOME'],
      [4, 'TRANSFER'],
    ]);
    expect(recs[0]?.prevHash.equals(GENESIS_HASH)).toBe(true);
    for (let i = 1; i < recs.length; i++) expect(recs[i]?.prevHash.equals(recs[i - 1]?.hash as Buffer)).toBe(true);
    expect(recs.every((r) => r.version === 1 && r.gatewayId === GATEWAY)).toBe(true);

    const report = verifyEvidence(tmp.dir);
    expect(report.ok).toBe(true);
    expect(report.chains).toEqual([{ gatewayId: GATEWAY, records: 4, headSeq: 4, headHash: head.hash.toString('hex'), errors: [] }]);
  });

  it('stores persons as 16-byte keys and counter deltas as plain numbers', async () => {
    await writeChain([transferEntry(1)]);
    const [rec] = records(onlySegment());
    expect(rec?.transfer?.persons.map((p) => p.length)).toEqual([16, 16]);
    expect(rec?.transfer?.counters[0]).toEqual({ counter: 'guangxi-2025/live-commerce/limited', before: 2, added: 2, after: 4, persons: [0, 1], estimated: false });
  });
});

describe('reopening', () => {
  it('continues the chain: seq goes on and the first new record links to the old head', async () => {
    const first = await writeChain([startEntry, transferEntry(1)]);
    const log = await openEvidenceLog(opts);
    expect(log.head()).toEqual(first);
    const appended = await log.append(transferEntry(2));
    expect(appended.seq).toBe(3);
    await log.close();

    const recs = records(onlySegment());
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(recs[2]?.prevHash.equals(first.hash)).toBe(true);
    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: true, chains: [{ records: 3, headSeq: 3, errors: [] }] });
  });
});

describe('tampering', () => {
  it('a flipped byte in the middle frame fails verify and refuses to open with XB_EVIDENCE_CHAIN_BROKEN', async () => {
    const { segment, bytes, middle } = await threeFrameChain();
    // Flip a byte in the middle of the second frame's record bytes (neither a length nor a tag).
    const recordStart = bytes.indexOf(middle.record, middle.offset);
    const at = recordStart + Math.floor(middle.record.length / 2);
    expect(at).toBeGreaterThan(middle.offset);
    expect(at).toBeLessThan(middle.end - 34); // before the 32-byte hash and its tag
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(segment, bytes);

    const report = verifyEvidence(tmp.dir);
    expect(report.ok).toBe(false);
    expect(report.chains[0]?.errors).toEqual([expect.stringContaining(`at byte ${middle.offset}: hash does not match the record`)]);

    const err = await openEvidenceLog(opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XbError);
    expect((err as XbError).code).toBe('XB_EVIDENCE_CHAIN_BROKEN');
    // Refusing to open must not have cut anything.
    expect(readFileSync(segment).equals(bytes)).toBe(true);
  });

  // Regression: a damaged length prefix running past the end was taken for a torn tail and cut,
  // deleting acknowledged records; complete frames after it now mean damage, refused.
  it('a flipped bit in a middle frame’s length prefix is refused, not cut as a torn tail', async () => {
    const { segment, bytes, middle } = await threeFrameChain();
    // The frame's varint length takes two bytes; setting bit 6 of the second adds 8192 bytes,
    // so the length prefix now runs past the end of the file.
    expect(bytes[middle.offset]).toBeGreaterThanOrEqual(0x80);
    expect((bytes[middle.offset + 1] as number) & 0x40).toBe(0);
    bytes[middle.offset + 1] = (bytes[middle.offset + 1] as number) | 0x40;
    expect(middle.end - middle.offset + 8192).toBeGreaterThan(bytes.length - middle.offset);
    writeFileSync(segment, bytes);

    const opened = await openEvidenceLog(opts).then(
      async (log) => {
        await log.close();
        return { recovered: log.recovered };
      },
      (err: unknown) => err,
    );
    expect(opened).toMatchObject({ code: 'XB_EVIDENCE_CHAIN_BROKEN' });
    expect(readFileSync(segment).equals(bytes)).toBe(true);
  });

  it('a removed middle frame breaks the links', async () => {
    const { segment, bytes, middle } = await threeFrameChain();
    writeFileSync(segment, Buffer.concat([bytes.subarray(0, middle.offset), bytes.subarray(middle.end)]));

    const report = verifyEvidence(tmp.dir);
    expect(report.ok).toBe(false);
    expect(report.chains[0]?.errors.join('\n')).toMatch(/seq 3 follows 1/);
    await expect(openEvidenceLog(opts)).rejects.toMatchObject({ code: 'XB_EVIDENCE_CHAIN_BROKEN' });
  });
});

describe('a torn tail (a crash mid-write)', () => {
  it('is reported by verify, cut at open, and the chain then verifies and continues', async () => {
    const head = await writeChain([transferEntry(1), transferEntry(2)]);
    const segment = onlySegment();
    const intact = readFileSync(segment);
    // A length prefix of 0x50 (80 bytes) followed by only 3 bytes: an incomplete frame.
    appendFileSync(segment, Buffer.from([0x50, 0x0a, 0x4e, 0x08]));

    const before = verifyEvidence(tmp.dir);
    expect(before.ok).toBe(false);
    expect(before.chains[0]?.errors).toEqual([expect.stringContaining(`at byte ${intact.length}: incomplete frame`)]);

    const log = await openEvidenceLog(opts);
    expect(log.recovered).toEqual({ tornBytes: 4, segment });
    expect(log.head()).toEqual(head);
    expect(readFileSync(segment).equals(intact)).toBe(true);
    await log.append(transferEntry(3));
    await log.close();

    expect(verifyEvidence(tmp.dir)).toMatchObject({ ok: true, chains: [{ records: 3, headSeq: 3, errors: [] }] });
  });
});

describe('golden chain', () => {
  // The head hash of a fixed chain. It depends on every byte of the evidence encoding (field
  // numbers, types, the frame layout, the genesis hash, how entries become EvidenceV1). If this
  // value changes, the evidence format changed: bump EVIDENCE_VERSION and the proto package
  // (xborder.evidence.v2) so auditors' verifiers can tell old chains from new ones. Do not just
  // update the constant.
  const GOLDEN_HEAD = '60b879557c330f0e49d9c94d8a98bc81d36da99d819a6cbb58d07a1ab3da9438';

  it('encodes a fixed chain to a pinned head hash', async () => {
    const head = await writeChain([startEntry, transferEntry(1), outcomeEntry(1), transferEntry(2), outcomeEntry(2)]);
    expect(head.seq).toBe(5);
    expect(head.hash.toString('hex')).toBe(GOLDEN_HEAD);
    expect(verifyEvidence(tmp.dir).chains[0]?.headHash).toBe(GOLDEN_HEAD);
  });
});

describe('recovery and locking edge cases', () => {
  const open = (dir: string) => openEvidenceLog({ dir, gatewayId: 'edge', fsync: 'always', fsyncIntervalMs: 100 });
  const entry = (i: number) => ({ kind: 'START' as const, timeMs: 1_700_000_000_000 + i, lifecycle: { policyRevision: 'r', version: 'v', detail: `e${i}` } });

  it('cuts a zero-filled tail that starts inside the last frame (power loss with fsync interval)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xb-edge-'));
    try {
      const log = await open(dir);
      await log.append(entry(1));
      const { hash } = await log.append(entry(2));
      await log.close();
      const [segment] = listSegments(join(dir, 'edge'));
      const bytes = readFileSync(segment as string);
      const frames = [...readFrames(bytes)].flatMap((r) => (r.kind === 'frame' ? [r.frame] : []));
      const last = frames.at(-1) as { offset: number; end: number };
      // Keep the last frame's first 10 bytes, zero the rest, then a few more zeros.
      const damaged = Buffer.concat([bytes.subarray(0, last.offset + 10), Buffer.alloc(last.end - last.offset - 10 + 64)]);
      writeFileSync(segment as string, damaged);
      const reopened = await open(dir);
      expect(reopened.recovered?.tornBytes).toBe(damaged.length - last.offset);
      expect(reopened.head().seq).toBe(1);
      expect(reopened.head().hash.equals(hash)).toBe(false);
      await reopened.close();
      expect(verifyEvidence(dir).ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second writer of the same chain in this process, and takes over a lock left with our own pid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xb-edge-'));
    try {
      const first = await open(dir);
      await expect(open(dir)).rejects.toMatchObject({ code: 'XB_EVIDENCE_LOCKED' });
      await first.close();
      // A LOCK naming this very pid that this process does not hold: a restarted container's leftover.
      writeFileSync(join(dir, 'edge', 'LOCK'), String(process.pid));
      const second = await open(dir);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
