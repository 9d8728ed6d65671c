/**
 * Evidence bundles: the folder `xborder evidence export` writes and `xborder evidence verify`
 * checks. `manifest.json` lists every other file with its SHA-256, the chain runs and the policy
 * digests, and carries an Ed25519 signature over its own canonical body (everything but
 * `signature`, as canonical JSON: keys sorted by UTF-16 code units at every level, no whitespace,
 * UTF-8). Verification needs nothing but the folder (and, to pin who signed, the public key).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RawFiling } from '../config/schema.js';
import { XbError } from '../errors.js';
import { recordToObject } from './codec.js';
import { readFrames } from './segments.js';
import { SUMMARY_FORMAT, SUMMARY_FORMATS, asFormat1, summarize, type ChainRun, type Period, type Summary, type SummaryRecord } from './summary.js';

export const BUNDLE_FORMAT = 'xborder-evidence-bundle/1';
export const MANIFEST = 'manifest.json';
export const PUBLIC_KEY_FILE = 'public-key.pem';
export const SUMMARY_FILE = 'summary.json';
export const FILINGS_FILE = 'filings.json';

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface ManifestBody {
  format: string;
  xborderVersion: string;
  /** When the bundle was made (UTC ISO 8601). */
  created: string;
  company: { name: string; regime: string };
  period: Period & { timeZone: string };
  /** `--filing`, or null: every configured filing. */
  filing: string | null;
  /** Every file of the bundle but manifest.json, by path. */
  files: ManifestFile[];
  /** Each chain run and the file holding it. */
  chains: (ChainRun & { file: string })[];
  policy: {
    /** Policy revisions (SHA-256 over the packs' digests) the bundled records name. */
    revisions: string[];
    /** The policy loaded at export: its revision and each pack's digest. */
    current: { revision: string; packs: { id: string; digest: string }[] } | null;
  };
  /** The signer's Ed25519 public key (PEM, SPKI). */
  publicKey: string;
}

export interface Manifest extends ManifestBody {
  signature: { algorithm: 'Ed25519'; value: string };
}

/** JSON with object keys sorted at every level and no whitespace: the bytes a signature is over. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonical JSON has no non-finite numbers');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

/** The exact bytes signed: the manifest without `signature`, as canonical JSON, UTF-8. */
export const signedBytes = (m: ManifestBody | Manifest): Buffer => {
  const { signature: _s, ...body } = m as Manifest;
  return Buffer.from(canonicalJson(body), 'utf8');
};

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** SHA-256 of a public key's DER (SPKI): what to compare when pinning a signer. */
export const keyFingerprint = (key: KeyObject): string => sha256(key.export({ type: 'spki', format: 'der' }));

/** Sign a manifest body with an Ed25519 private key. */
export function signManifest(body: ManifestBody, key: KeyObject): Manifest {
  return { ...body, signature: { algorithm: 'Ed25519', value: sign(null, signedBytes(body), key).toString('base64') } };
}

/**
 * The export signing key: `file`, a PEM PKCS#8 Ed25519 private key. When it does not exist and it
 * is the default path, one is generated there (mode 0600, written to a temp file then linked, so no
 * reader sees half a key and two exports at once keep one key). A configured key that is missing,
 * unreadable or not Ed25519 is refused (XB_EVIDENCE_SIGNING_KEY_INVALID).
 */
export function loadSigningKey(file: string, generateIfMissing: boolean): { key: KeyObject; generated: boolean } {
  let pem: string;
  let generated = false;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || !generateIfMissing)
      throw new XbError(
        'XB_EVIDENCE_SIGNING_KEY_INVALID',
        `evidence signing key ${file} (evidence.signingKey.file) cannot be read: ${code ?? (err as Error).message}${code === 'ENOENT' ? '; create one with `openssl genpkey -algorithm ed25519 -out FILE`, or remove the setting to use a generated key' : ''}`,
      );
    ({ pem, generated } = generateKey(file));
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new XbError('XB_EVIDENCE_SIGNING_KEY_INVALID', `evidence signing key ${file} is not a PEM private key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new XbError('XB_EVIDENCE_SIGNING_KEY_INVALID', `evidence signing key ${file} is an ${key.asymmetricKeyType ?? 'unknown'} key; bundles are signed with Ed25519 (openssl genpkey -algorithm ed25519)`);
  return { key, generated };
}

function generateKey(file: string): { pem: string; generated: boolean } {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, pem, { mode: 0o600, flag: 'wx' });
    linkSync(tmp, file);
    return { pem, generated: true };
  } catch (err) {
    // Another export generated it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { pem: readFileSync(file, 'utf8'), generated: false };
    throw new XbError('XB_EVIDENCE_SIGNING_KEY_INVALID', `evidence signing key ${file} cannot be written: ${(err as Error).message}`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** A bundle's files with their manifest: what `evidence export` writes (bundle path → bytes). */
export function bundleFiles(
  content: ReadonlyMap<string, Buffer | string>,
  body: Omit<ManifestBody, 'files' | 'publicKey'>,
  key: KeyObject,
): { files: Map<string, Buffer | string>; manifest: Manifest } {
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  const files = new Map(content);
  files.set(PUBLIC_KEY_FILE, publicKey);
  const listed = [...files]
    .map(([path, bytes]) => ({ path, sha256: sha256(bytes), bytes: Buffer.byteLength(bytes) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest = signManifest({ ...body, files: listed, publicKey }, key);
  files.set(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  return { files, manifest };
}

export interface BundleReport {
  readonly ok: boolean;
  /** Every problem found, in this order: manifest and signature, missing or unlisted files, chain records, changed files, summary. */
  readonly problems: readonly string[];
  /** Per chain run: the seqs the manifest records, and how far it verified (the last good seq and its hash). */
  readonly chains: readonly { gatewayId: string; firstSeq: number; lastSeq: number; verifiedTo: number; records: number; headHash: string; ok: boolean }[];
  readonly files: number;
  /** SHA-256 of the signer's public key (DER), when the manifest names one that parses. */
  readonly signer: string | undefined;
  readonly summary: 'matches' | 'differs' | 'not checked';
}

/** Does `dir` look like a bundle (a manifest, or the files only a bundle has)? */
export const isBundle = (dir: string): boolean =>
  existsSync(join(dir, MANIFEST)) || (existsSync(join(dir, SUMMARY_FILE)) && existsSync(join(dir, 'chains')));

const SAFE_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const safePath = (p: unknown): p is string => typeof p === 'string' && SAFE_PATH.test(p) && !p.split('/').some((s) => s === '.' || s === '..');

/**
 * Verify a bundle: the signature (with the bundled key; with `publicKey`, that it is that key), every
 * listed file's SHA-256 and no unlisted file, every chain run frame by frame (hash, seq, links from
 * the recorded prev_hash to the recorded head), and that summary.json is what summarize() makes of
 * the bundled records and filings.json.
 */
export function verifyBundle(dir: string, opts: { publicKey?: KeyObject } = {}): BundleReport {
  const problems: string[] = [];
  const chains: BundleReport['chains'][number][] = [];
  const fail = (): BundleReport => ({ ok: false, problems, chains, files: 0, signer: undefined, summary: 'not checked' });

  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch (err) {
    problems.push(`${MANIFEST}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing: a bundle without its manifest cannot be checked' : `does not read as JSON (${(err as Error).message})`}`);
    return fail();
  }
  const shape = manifestShape(manifest);
  if (shape) {
    problems.push(`${MANIFEST}: ${shape}`);
    return fail();
  }

  // 1. Signature, over the manifest as it stands.
  let signer: string | undefined;
  try {
    const key = createPublicKey(manifest.publicKey);
    signer = keyFingerprint(key);
    if (key.asymmetricKeyType !== 'ed25519') problems.push(`${MANIFEST}: publicKey is an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
    else if (!verify(null, signedBytes(manifest), key, Buffer.from(manifest.signature.value, 'base64')))
      problems.push(`${MANIFEST}: the signature does not verify with the bundled public key (the manifest was changed after signing, or signed with another key)`);
    if (opts.publicKey && keyFingerprint(opts.publicKey) !== signer)
      problems.push(`${MANIFEST}: signed by key ${signer.slice(0, 16)}…, not by the expected key ${keyFingerprint(opts.publicKey).slice(0, 16)}… (--public-key)`);
  } catch (err) {
    problems.push(`${MANIFEST}: publicKey is not a PEM public key (${(err as Error).message})`);
  }

  // 2. Files: each listed one present with its hash, nothing else in the folder. A changed file is
  // reported after the chain checks, which name the record inside a changed run.
  const changed: string[] = [];
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const present = walk(dir).filter((p) => p !== MANIFEST);
  const read = new Map<string, Buffer>();
  for (const f of manifest.files) {
    let bytes: Buffer;
    try {
      if (!lstatSync(join(dir, f.path)).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
      bytes = readFileSync(join(dir, f.path));
    } catch (err) {
      problems.push(`${f.path}: listed in the manifest but ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `unreadable (${(err as Error).message})`}`);
      continue;
    }
    read.set(f.path, bytes);
    if (sha256(bytes) !== f.sha256) changed.push(`${f.path}: SHA-256 does not match the manifest (the file was changed; ${bytes.length} bytes now, ${f.bytes} listed)`);
  }
  for (const p of present) if (!listed.has(p)) problems.push(`${p}: not listed in the manifest (added to the bundle)`);
  const pem = read.get(PUBLIC_KEY_FILE);
  if (pem && pem.toString('utf8') !== manifest.publicKey) problems.push(`${PUBLIC_KEY_FILE}: differs from the manifest's publicKey`);

  // 3. Chain runs, frame by frame.
  const records: SummaryRecord[] = [];
  let chainsOk = true;
  for (const c of manifest.chains) {
    const bytes = read.get(c.file);
    if (!bytes) {
      chainsOk = false;
      if (!listed.has(c.file)) problems.push(`${c.file}: chain ${c.gatewayId}'s run is not a listed file`);
      chains.push({ gatewayId: c.gatewayId, firstSeq: c.firstSeq, lastSeq: c.lastSeq, verifiedTo: 0, records: 0, headHash: '', ok: false });
      continue;
    }
    const run = verifyRun(bytes, c);
    problems.push(...run.problems);
    chainsOk &&= run.problems.length === 0;
    records.push(...run.records);
    chains.push({ gatewayId: c.gatewayId, firstSeq: c.firstSeq, lastSeq: c.lastSeq, verifiedTo: run.lastSeq, records: run.records.length, headHash: run.headHash, ok: run.problems.length === 0 });
  }
  const expectedRuns = manifest.files.filter((f) => f.path.startsWith('chains/')).filter((f) => !manifest.chains.some((c) => c.file === f.path));
  for (const f of expectedRuns) problems.push(`${f.path}: a chain file the manifest lists under no chain`);
  problems.push(...changed);

  // 4. The summary, recomputed from the bundled records (only over chains that verify).
  let summary: BundleReport['summary'] = 'not checked';
  if (!chainsOk) problems.push(`${SUMMARY_FILE}: not recomputed, the chains do not verify`);
  else {
    const summaryBytes = read.get(SUMMARY_FILE);
    const filingsBytes = read.get(FILINGS_FILE);
    if (!summaryBytes || !filingsBytes) problems.push(`${!summaryBytes ? SUMMARY_FILE : FILINGS_FILE}: missing from the bundle (the manifest must list it)`);
    else {
      const diff = summaryDiff(summaryBytes, filingsBytes, records, manifest.period);
      summary = diff ? 'differs' : 'matches';
      if (diff) problems.push(`${SUMMARY_FILE}: ${diff}`);
    }
  }
  return { ok: problems.length === 0, problems, chains, files: manifest.files.length, signer, summary };
}

/** What is wrong with a manifest's shape, or undefined. */
function manifestShape(m: Manifest): string | undefined {
  if (typeof m !== 'object' || m === null) return 'not an object';
  if (m.format !== BUNDLE_FORMAT) return `format ${String(m.format)} is not ${BUNDLE_FORMAT}`;
  if (typeof m.publicKey !== 'string' || m.signature?.algorithm !== 'Ed25519' || typeof m.signature.value !== 'string') return 'no Ed25519 signature and public key';
  if (!Array.isArray(m.files) || !m.files.every((f) => safePath(f?.path) && typeof f.sha256 === 'string')) return 'files must list relative paths inside the bundle with their SHA-256';
  const hex = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  if (
    !Array.isArray(m.chains) ||
    !m.chains.every((c) => safePath(c?.file) && typeof c.gatewayId === 'string' && Number.isInteger(c.firstSeq) && Number.isInteger(c.lastSeq) && hex(c.prevHash) && hex(c.headHash))
  )
    return 'chains must give each run its gatewayId, file, firstSeq, prevHash, lastSeq and headHash';
  if (typeof m.period?.from !== 'string' || typeof m.period.to !== 'string') return 'no period';
  return undefined;
}

/** Check one run: each frame's hash, its chain, seq from firstSeq on, links from prevHash, the last one the recorded head. */
function verifyRun(bytes: Buffer, c: Manifest['chains'][number]): { problems: string[]; records: SummaryRecord[]; lastSeq: number; headHash: string } {
  const problems: string[] = [];
  const records: SummaryRecord[] = [];
  let expected = c.firstSeq;
  let prev = c.prevHash;
  const at = (offset: number, seq: number) => `${c.file} at byte ${offset} (chain ${c.gatewayId}, seq ${seq})`;
  for (const read of readFrames(bytes)) {
    if (read.kind !== 'frame') {
      problems.push(`${at(read.offset, expected)}: ${read.kind === 'torn' ? 'incomplete frame (the file was truncated)' : read.why}`);
      break;
    }
    const { frame } = read;
    if (!frame.hash.equals(frame.computed)) {
      problems.push(`${at(frame.offset, expected)}: hash does not match the record (altered)`);
      break;
    }
    const rec = recordToObject(frame.record);
    if (rec.gatewayId !== c.gatewayId) problems.push(`${at(frame.offset, rec.seq)}: record of gateway ${rec.gatewayId} in the run of ${c.gatewayId}`);
    if (rec.seq !== expected) {
      problems.push(`${at(frame.offset, rec.seq)}: seq ${rec.seq} where ${expected} was expected (a record missing, inserted or reordered)`);
      break;
    }
    if (rec.prevHash.toString('hex') !== prev) {
      problems.push(`${at(frame.offset, rec.seq)}: does not link to ${rec.seq === c.firstSeq ? "the run's recorded prev_hash" : `seq ${rec.seq - 1}`}`);
      break;
    }
    prev = frame.hash.toString('hex');
    records.push({ chain: c.gatewayId, hash: prev, record: rec });
    expected++;
  }
  const last = records.at(-1);
  const lastSeq = last?.record.seq ?? 0;
  const headHash = last?.hash ?? '';
  if (problems.length === 0 && (lastSeq !== c.lastSeq || headHash !== c.headHash))
    problems.push(`${c.file} (chain ${c.gatewayId}): ends at seq ${lastSeq}${lastSeq === c.lastSeq ? ` with head ${headHash.slice(0, 16)}…` : ''}; the manifest records seq ${c.lastSeq}, head ${c.headHash.slice(0, 16)}… (records removed from the end)`);
  return { problems, records, lastSeq, headHash };
}

/** Where summary.json differs from summarize() over the bundled records and filings, or undefined. */
function summaryDiff(summaryBytes: Buffer, filingsBytes: Buffer, records: readonly SummaryRecord[], period: Period): string | undefined {
  let stored: unknown;
  let filings: RawFiling[];
  try {
    stored = JSON.parse(summaryBytes.toString('utf8'));
    filings = (JSON.parse(filingsBytes.toString('utf8')) as { filings: RawFiling[] }).filings;
    if (!Array.isArray(filings)) throw new Error(`${FILINGS_FILE} has no filings list`);
  } catch (err) {
    return `does not read: ${(err as Error).message}`;
  }
  const format = (stored as { format?: unknown } | null)?.format;
  if (!(SUMMARY_FORMATS as readonly unknown[]).includes(format)) return `its format ${JSON.stringify(format)} is none of ${SUMMARY_FORMATS.join(', ')}, the ones this xborder recomputes`;
  const summary = summarize(records, filings, { from: period.from, to: period.to });
  const recomputed = JSON.parse(JSON.stringify(format === SUMMARY_FORMAT ? summary : asFormat1(summary))) as unknown;
  const path = firstDifference(stored, recomputed, '');
  return path === undefined ? undefined : `differs from the summary recomputed from the bundled records at ${path || '(root)'}`;
}

/** The JSON path of the first difference between two JSON values, or undefined when equal. */
export function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) return path;
  if (typeof a !== 'object' || a === null) return a === b ? undefined : `${path} (${JSON.stringify(a)}, recomputed ${JSON.stringify(b)})`;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    for (let i = 0; i < Math.max(a.length, bb.length); i++) {
      const d = firstDifference(a[i], bb[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) {
    const d = firstDifference(ao[k], bo[k], path ? `${path}.${k}` : k);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** Every file under `dir`, as bundle paths (`/`-separated), symbolic links included as files. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => {
      const p = prefix ? `${prefix}/${e.name}` : e.name;
      return e.isDirectory() ? walk(dir, p) : [p];
    })
    .sort();
}
