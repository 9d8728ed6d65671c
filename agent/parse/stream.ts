/**
 * Streaming parse of a spooled body (receive/spool.ts): NDJSON, CSV/TSV and text/plain are read
 * from the spool file in chunks (`DEFAULTS.parse.streamChunkBytes`), their Content-Encoding undone
 * by zlib streams within the same limits as decode.ts, their text decoded incrementally (UTF-8
 * strictly, GBK/GB18030 with iconv-lite), and handed on as batches of records
 * (`DEFAULTS.parse.streamBatchRecords`). Memory per body: one read chunk, the text of one partial
 * row, one batch of records. Other formats are parsed in memory (index.ts) and only up to
 * `limits.bodyBytes`: see `streams`.
 * The charset rule is charset.ts's: undeclared text is UTF-8 when the whole body is valid UTF-8
 * (checked in a first pass over the file), else GB18030.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import iconv from 'iconv-lite';
import { DEFAULTS } from '../config/defaults.js';
import { XbError } from '../errors.js';
import type { Body, SpooledBody } from '../types.js';
import { charsetOf, nulReason, type Charset } from './charset.js';
import { CsvReader } from './csv.js';
import { codingsOf, decodedTooLarge, encodingInvalid, isZlibHeader } from './decode.js';
import type { ParseOptions } from './index.js';
import { inspectedType } from './index.js';
import { parseJsonText } from './json.js';
import { formatOf, type Format } from './media-type.js';

/** Formats inspected in a streaming pass; the others are parsed in memory, up to `limits.bodyBytes`. */
export const STREAMING_FORMATS: ReadonlySet<Format> = new Set<Format>(['ndjson', 'csv', 'tsv', 'text']);

/** Whether the body's format streams (throws XB_BODY_UNSUPPORTED_TYPE for a type the route does not inspect). */
export function streams(body: Pick<Body, 'contentType'>, options: ParseOptions): boolean {
  const format = formatOf(inspectedType(body, options).value);
  return format !== undefined && STREAMING_FORMATS.has(format);
}

export interface StreamSettings {
  readonly batchRecords?: number;
  readonly chunkBytes?: number;
}

/** The records of a spooled NDJSON, CSV/TSV or text body, in batches, in body order. */
export async function* parseSpooled(body: Body & { readonly spooled: SpooledBody }, options: ParseOptions, settings: StreamSettings = {}): AsyncGenerator<unknown[]> {
  const batchRecords = settings.batchRecords ?? DEFAULTS.parse.streamBatchRecords;
  const chunkBytes = settings.chunkBytes ?? DEFAULTS.parse.streamChunkBytes;
  const type = inspectedType(body, options);
  const format = formatOf(type.value);
  if (format === undefined || !STREAMING_FORMATS.has(format)) throw new XbError('XB_BODY_TOO_LARGE_TO_INSPECT', `${type.value} bodies are parsed in memory; only NDJSON, CSV, TSV and text/plain stream`);
  const where = 'the body';
  const codings = codingsOf(body.contentEncoding);
  const limits = options.bodyLimits ?? DEFAULTS.limits;
  const bytes = () => decodedChunks(body.spooled, codings, limits, chunkBytes);
  const declared = charsetOf(type.params.get('charset'), where) ?? (format === 'csv' ? options.csv?.charset : undefined);
  const charset: Charset = declared ?? ((await isUtf8Stream(bytes())) ? 'utf-8' : 'gb18030');
  const invalidOf: (reason: string) => XbError =
    format === 'ndjson'
      ? (reason) => new XbError('XB_PARSE_INVALID_JSON', `${where} ${reason}`)
      : format === 'text'
        ? (reason) => new XbError('XB_PARSE_TEXT_INVALID', `${where} ${reason}`)
        : (reason) => new XbError('XB_PARSE_CSV_INVALID', `${where} is not valid ${format.toUpperCase()}: it ${reason}`);
  const reason = declared ? `is not valid ${declared.toUpperCase()}` : 'is neither valid UTF-8 nor valid GB18030 (declare its charset)';
  const text = textOf(bytes(), charset, (nulAt) => invalidOf(nulAt === undefined ? reason : nulReason(nulAt)));

  let batch: unknown[] = [];
  const full = () => batch.length >= batchRecords;
  const take = () => {
    const out = batch.length <= batchRecords ? batch : batch.slice(0, batchRecords);
    batch = batch.length <= batchRecords ? [] : batch.slice(batchRecords);
    return out;
  };
  if (format === 'ndjson') {
    let pending = '';
    let line = 0;
    const lineRecords = (final: boolean) => {
      let start = 0;
      for (;;) {
        let end = pending.indexOf('\n', start);
        if (end < 0) {
          if (!final) break;
          end = pending.length;
        }
        line++;
        const content = pending.slice(start, end);
        start = end + 1;
        if (content.trim() !== '') batch.push(parseJsonText(content, (why) => `${where}: line ${line} is not valid JSON${why}`, `${where}: line ${line}`));
        if (start > pending.length) break;
      }
      pending = pending.slice(start);
    };
    for await (const piece of text) {
      pending += piece;
      lineRecords(false);
      while (full()) yield take();
    }
    lineRecords(true);
  } else if (format === 'text') {
    // One record per piece of whole lines: value detectors read each line as the in-memory record would.
    let pending = '';
    for await (const piece of text) {
      pending += piece;
      const cut = pending.lastIndexOf('\n') + 1;
      if (cut > 0) {
        batch.push({ text: pending.slice(0, cut) });
        pending = pending.slice(cut);
      }
      if (full()) yield take();
    }
    if (pending !== '') batch.push({ text: pending });
  } else {
    const delimiter = format === 'tsv' ? '\t' : (options.csv?.delimiter ?? DEFAULTS.route.csv.delimiter);
    const reader = new CsvReader({ delimiter, charset, label: format.toUpperCase() }, where);
    const scan = new RowBoundaries(delimiter.charCodeAt(0));
    let pending = '';
    let line = 1;
    for await (const piece of text) {
      pending += piece;
      const cut = scan.feed(pending);
      if (cut > 0) {
        const segment = pending.slice(0, cut);
        pending = pending.slice(cut);
        scan.shift(cut);
        for (const r of reader.rows(segment, line)) batch.push(r);
        line += countLf(segment);
      }
      while (full()) yield take();
    }
    for (const r of reader.rows(pending, line)) batch.push(r);
  }
  while (batch.length > 0) yield take();
}

/**
 * Where complete CSV rows end: a line feed outside a quoted field. A quote opens a quoted field only
 * at the start of a field (csv.ts keeps other quotes as characters); `""` inside is an escaped quote.
 */
class RowBoundaries {
  private inQuoted = false;
  private quoteSeen = false;
  private atFieldStart = true;
  private scanned = 0;
  constructor(private readonly delimiter: number) {}

  /** Scans what is new in `text`; returns the offset just past the last row boundary, 0 for none. */
  feed(text: string): number {
    let cut = 0;
    for (let i = this.scanned; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.quoteSeen) {
        this.quoteSeen = false;
        if (c === 0x22) continue; // `""`: still inside
        this.inQuoted = false;
      } else if (this.inQuoted) {
        if (c === 0x22) this.quoteSeen = true;
        continue;
      } else if (c === 0x22 && this.atFieldStart) {
        this.inQuoted = true;
        this.atFieldStart = false;
        continue;
      }
      if (c === this.delimiter) this.atFieldStart = true;
      else if (c === 0x0a) {
        this.atFieldStart = true;
        cut = i + 1;
      } else this.atFieldStart = false;
    }
    this.scanned = text.length;
    return cut;
  }

  shift(by: number): void {
    this.scanned -= by;
  }
}

function countLf(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** The spooled bytes with their Content-Encoding undone, within decode.ts's limits. */
async function* decodedChunks(spooled: SpooledBody, codings: readonly string[], limits: { decompressedBytes: number; maxRatio: number }, chunkBytes: number): AsyncGenerator<Buffer> {
  const src = createReadStream(spooled.file, { highWaterMark: chunkBytes });
  if (codings.length === 0) {
    yield* src as AsyncIterable<Buffer>;
    return;
  }
  const allowed = Math.min(limits.decompressedBytes, Math.floor(limits.maxRatio * spooled.size));
  // Codings are listed in the order they were applied: undo the last first.
  const undo = [...codings].reverse();
  const stages = undo.map((coding, i) => decoderFor(coding, i === 0 ? headOf(spooled.file) : undefined));
  const out = pipeline([src, ...stages], () => undefined) as unknown as Readable;
  let total = 0;
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > allowed) throw decodedTooLarge(undo.join(', '), spooled.size, allowed, limits);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof XbError) throw err;
    throw encodingInvalid(undo.join(', '), err);
  } finally {
    out.destroy();
  }
}

function decoderFor(coding: string, head: Buffer | undefined) {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'br':
      return createBrotliDecompress();
    default:
      // deflate: zlib-wrapped or raw, told apart by the RFC 1950 header (known for the outer coding).
      return head === undefined || isZlibHeader(head) ? createInflate() : createInflateRaw();
  }
}

function headOf(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return b.subarray(0, readSync(fd, b, 0, 2, 0));
  } finally {
    closeSync(fd);
  }
}

async function isUtf8Stream(chunks: AsyncIterable<Buffer>): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const c of chunks) decoder.decode(c, { stream: true });
    decoder.decode();
    return true;
  } catch (err) {
    if (err instanceof XbError) throw err;
    return false;
  }
}

/** Decoded text of the chunks; `invalid()` for bytes not in the charset, `invalid(at)` for a NUL at character `at` of the text. */
async function* textOf(chunks: AsyncIterable<Buffer>, charset: Charset, invalid: (nulAt?: number) => XbError): AsyncGenerator<string> {
  let seen = 0;
  for await (const piece of decodedText(chunks, charset, invalid)) {
    const nul = piece.indexOf('\0');
    if (nul >= 0) throw invalid(seen + nul);
    seen += piece.length;
    yield piece;
  }
}

async function* decodedText(chunks: AsyncIterable<Buffer>, charset: Charset, invalid: () => XbError): AsyncGenerator<string> {
  if (charset === 'utf-8') {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const decode = (c?: Buffer) => {
      try {
        return c ? decoder.decode(c, { stream: true }) : decoder.decode();
      } catch {
        throw invalid();
      }
    };
    for await (const c of chunks) yield decode(c);
    yield decode();
    return;
  }
  const decoder = iconv.getDecoder(charset, { stripBOM: true });
  const check = (s: string | undefined) => {
    // iconv-lite replaces what it cannot decode with U+FFFD.
    if (s?.includes('\uFFFD')) throw invalid();
    return s ?? '';
  };
  for await (const c of chunks) yield check(decoder.write(c));
  yield check(decoder.end());
}
