/** The evidence messages of proto/evidence.proto, loaded once with protobufjs (no generated code to drift). */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { PACKAGE_ROOT } from '../package-root.js';

const root = protobuf.loadSync(join(PACKAGE_ROOT, 'proto', 'evidence.proto'));
export const EvidenceFrame = root.lookupType('xborder.evidence.v1.EvidenceFrame');
export const EvidenceV1 = root.lookupType('xborder.evidence.v1.EvidenceV1');

export const EVIDENCE_VERSION = 1;
export const GENESIS_HASH = Buffer.alloc(32);

/** Plain-object view of a decoded record: longs as numbers, enums as names, bytes as Buffers. */
export function recordToObject(bytes: Uint8Array): EvidenceObject {
  const msg = EvidenceV1.decode(bytes);
  return EvidenceV1.toObject(msg, { longs: Number, enums: String, bytes: Buffer, defaults: true, arrays: true }) as EvidenceObject;
}

export interface CounterDeltaObject {
  counter: string;
  before: number;
  added: number;
  after: number;
  persons: number[];
  estimated: boolean;
}

export interface TransferObject {
  route: string;
  direction: string;
  recipient: string;
  recipientCountry: string;
  regime: string;
  list: string;
  domain: string;
  scenario: string;
  dataItems: string[];
  recordCount: number;
  subjectCount: number;
  persons: Buffer[];
  year: number;
  admitted: boolean;
  counters: CounterDeltaObject[];
  decision: string;
  reason: string;
  enforceWouldBlock: boolean;
  rules: Record<string, unknown>[];
  policyRevision: string;
  filings: string[];
  bodySha256: Buffer;
  bodySize: number;
  errorCode: string;
  notices: { code: string; detail: string; citation: string; filing: string; counter: string }[];
  exemption: string;
  exemptionHeld: boolean;
}

export interface EvidenceObject {
  version: number;
  gatewayId: string;
  seq: number;
  timeMs: number;
  kind: 'TRANSFER' | 'OUTCOME' | 'START' | 'STOP' | 'RELOAD' | 'BACKFILL' | 'EMERGENCY_STOP' | 'RESUME';
  prevHash: Buffer;
  transferId: string;
  transfer?: TransferObject | null;
  outcome?: { upstreamStatus: number; errorCode: string; responseBytes: number; attempts?: number } | null;
  lifecycle?: { policyRevision: string; version: string; detail: string; keyFingerprint: string } | null;
}
