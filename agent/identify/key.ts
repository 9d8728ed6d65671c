/**
 * The company's identity key: HMAC-SHA256 key for person keys. From a file or an environment
 * variable; generated (32 random bytes, mode 0600) into the data directory on first start when
 * neither is given. Its fingerprint, not the key, is stored per year so a changed key is caught.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { XbError } from '../errors.js';

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
  if (src.file) return { value: readFile(src.file, what), source: src.file };
  const fromEnv = src.env ? process.env[src.env] : undefined;
  if (fromEnv) return { value: fromEnv.trim(), source: `$${src.env}` };
  try {
    return { value: readFileSync(src.generatedFile, 'utf8').trim(), source: src.generatedFile };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new XbError('XB_KEY_INVALID', `${what} file ${src.generatedFile}: ${(err as Error).message}`);
  }
  const value = generate();
  mkdirSync(dirname(src.generatedFile), { recursive: true, mode: 0o700 });
  try {
    // 'wx': never overwrite a key another process has just written; use theirs instead.
    writeFileSync(src.generatedFile, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new XbError('XB_KEY_INVALID', `${what} file ${src.generatedFile} cannot be written: ${(err as Error).message}`);
    return { value: readFileSync(src.generatedFile, 'utf8').trim(), source: src.generatedFile };
  }
  return { value, source: src.generatedFile };
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

/** Person key: HMAC-SHA256(key, basis ‖ 0 ‖ value), first 16 bytes (odds of any collision among 2^32 persons: about 2^-65). */
export function personKey(key: Buffer, basis: string, normalized: string): Buffer {
  return createHmac('sha256', key).update(basis).update('\0').update(normalized).digest().subarray(0, 16);
}
