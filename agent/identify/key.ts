/**
 * The company's identity key: HMAC-SHA256 key for person keys. From a file or an environment
 * variable; generated (32 random bytes, mode 0600) into the data directory on first start when
 * neither is given. Its fingerprint, not the key, is stored per year so a changed key is caught.
 */
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { XbError } from '../errors.js';
import { KeyedHmac } from './hmac.js';

export interface IdentityKey {
  readonly key: Buffer;
  /** SHA-256 of a fixed label and the key, hex: safe to store and show. */
  readonly fingerprint: string;
  readonly source: string;
}

export interface SecretSource {
  readonly file?: string | undefined;
  readonly env?: string | undefined;
  readonly generatedFile: string;
}

/** Load the identity key (hex or base64, at least 32 bytes), generating it when no source is set. */
export function loadIdentityKey(src: SecretSource): IdentityKey {
  const { value, source } = readSecret(src, 'identity key', () => randomBytes(32).toString('hex'));
  const key = decodeKey(value, source);
  if (key.length < 32) throw new XbError('XB_KEY_INVALID', `identity key from ${source} has ${key.length} bytes; at least 32 are needed`);
  return { key, fingerprint: createHash('sha256').update('xborder-identity-key-v1\0').update(key).digest('hex'), source };
}

/** A secret from a file, else an environment variable, else generated once into `generatedFile`. */
export function readSecret(src: SecretSource, what: string, generate: () => string): { value: string; source: string } {
  if (src.file) return { value: nonEmpty(readFile(src.file, what), what, src.file), source: src.file };
  const fromEnv = src.env ? process.env[src.env]?.trim() : undefined;
  if (fromEnv) return { value: fromEnv, source: `$${src.env}` };
  try {
    return { value: nonEmpty(readFileSync(src.generatedFile, 'utf8').trim(), what, src.generatedFile), source: src.generatedFile };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new XbError('XB_KEY_INVALID', `${what} file ${src.generatedFile}: ${(err as Error).message}`);
  }
  const value = generate();
  mkdirSync(dirname(src.generatedFile), { recursive: true, mode: 0o700 });
  // Written whole to a private temp file, then linked into place: link() fails if another process
  // got there first (then theirs is used), and no reader ever sees a half-written secret.
  const tmp = `${src.generatedFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, `${value}\n`, { mode: 0o600, flag: 'wx' });
    linkSync(tmp, src.generatedFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new XbError('XB_KEY_INVALID', `${what} file ${src.generatedFile} cannot be written: ${(err as Error).message}`);
    return { value: nonEmpty(readFileSync(src.generatedFile, 'utf8').trim(), what, src.generatedFile), source: src.generatedFile };
  } finally {
    rmSync(tmp, { force: true });
  }
  return { value, source: src.generatedFile };
}

function nonEmpty(value: string, what: string, source: string): string {
  if (value === '') throw new XbError('XB_KEY_INVALID', `${what} from ${source} is empty`);
  return value;
}

function readFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new XbError('XB_KEY_INVALID', `${what} file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function decodeKey(value: string, source: string): Buffer {
  if (/^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]+=*$/.test(value)) return Buffer.from(value, 'base64');
  throw new XbError('XB_KEY_INVALID', `identity key from ${source} is neither hex nor base64`);
}

/**
 * The keyed hash of each key, set up once (hmac.ts). Looked up by the key's Buffer; the copy of its
 * bytes kept beside it is compared on each use, so a Buffer refilled with another key is re-keyed.
 */
const keyed = new WeakMap<Buffer, { bytes: Buffer; hmac: KeyedHmac }>();

function keyedHmac(key: Buffer): KeyedHmac {
  const k = keyed.get(key);
  if (k && sameBytes(k.bytes, key)) return k.hmac;
  const hmac = new KeyedHmac(key);
  keyed.set(key, { bytes: Buffer.from(key), hmac });
  return hmac;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Person key: HMAC-SHA256(key, basis ‖ 0 ‖ value), first 16 bytes (odds of any collision among 2^32 persons: about 2^-65). */
export function personKey(key: Buffer, basis: string, normalized: string): Buffer {
  return keyedHmac(key).digest([basis, '\0', normalized], 16);
}
