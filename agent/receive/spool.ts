/**
 * Request bodies in, held in memory up to `memoryBytes` and spooled past it.
 * A body that grows past `memoryBytes` is written, from its first byte, to a private file
 * (`open(…, 'wx', 0o600)`, random name) under the spool directory, hashing (SHA-256) and counting
 * as it goes; past `spoolBytes` reading stops, the file is removed and the request gets
 * 413 XB_BODY_TOO_LARGE. The caller removes the file when the request ends (receive/index.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { XbError } from '../errors.js';
import type { SpooledBody } from '../types.js';

export interface SpoolOptions {
  /** Bodies up to this many bytes stay in memory. */
  readonly memoryBytes: number;
  /** Largest body accepted, bytes. */
  readonly spoolBytes: number;
  /** Directory of spool files (0700). */
  readonly dir: string;
}

export type ReceivedBody = { readonly bytes: Buffer; readonly spooled?: undefined } | { readonly bytes?: undefined; readonly spooled: SpooledBody };

export const tooLarge = (limit: number) => new XbError('XB_BODY_TOO_LARGE', `body exceeds the limit of ${limit} bytes (limits.spoolBytes)`, { limitBytes: limit });

/** Creates the spool directory (0700) and removes what a crashed process left in it. */
export function prepareSpoolDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { force: true, recursive: true });
}

/**
 * Read a body stream. `onFile` is told the spool file's path as soon as it exists, so the caller
 * can remove it whatever happens later; on a failure here the file is removed before the error.
 */
export async function receiveBody(payload: Readable, opts: SpoolOptions, onFile: (file: string) => void): Promise<ReceivedBody> {
  let chunks: Buffer[] = [];
  let size = 0;
  const hash = createHash('sha256');
  let fh: FileHandle | undefined;
  let file: string | undefined;
  try {
    for await (const chunk of payload as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > opts.spoolBytes) throw tooLarge(opts.spoolBytes);
      if (fh) {
        hash.update(chunk);
        await writeAll(fh, chunk);
        continue;
      }
      chunks.push(chunk);
      if (size > opts.memoryBytes) {
        file = join(opts.dir, `${randomUUID()}.body`);
        onFile(file);
        fh = await open(file, 'wx', 0o600);
        for (const c of chunks) {
          hash.update(c);
          await writeAll(fh, c);
        }
        chunks = [];
      }
    }
    if (!fh || !file) return { bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) };
    await fh.close();
    fh = undefined;
    return { spooled: { file, size, sha256: hash.digest() } };
  } catch (err) {
    await fh?.close().catch(() => undefined);
    if (file) await rm(file, { force: true });
    throw err;
  }
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
}
