/** Test support for parse/: bodies as the data plane hands them over, and the error a parse throws. */
import { XbError } from '../../../agent/errors.js';
import { parse, type ParseOptions } from '../../../agent/parse/index.js';
import { compileRecordRoot } from '../../../agent/parse/recordRoot.js';
import type { Body } from '../../../agent/types.js';

export const body = (bytes: Buffer | string, contentType: string | undefined, contentEncoding?: string): Body => ({
  bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes,
  contentType,
  contentEncoding,
});

export const root = (source = '$'): ParseOptions => ({ recordRoot: compileRecordRoot(source) });

/** The records of a body, as parse() returns them. */
export const records = (b: Body, options: ParseOptions = root()): readonly unknown[] => parse(b, options).records;

/** The XbError a call throws (fails the test if it returns or throws anything else). */
export function refusal(fn: () => unknown): XbError {
  try {
    fn();
  } catch (err) {
    if (err instanceof XbError) return err;
    throw err;
  }
  throw new Error('parsed without error');
}

/** A multipart/form-data body from parts given as header lines and content. */
export function multipart(boundary: string, parts: { headers: string[]; content: Buffer | string }[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${p.headers.map((h) => `${h}\r\n`).join('')}\r\n`));
    chunks.push(typeof p.content === 'string' ? Buffer.from(p.content) : p.content);
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}
