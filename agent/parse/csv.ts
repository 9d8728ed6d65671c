/**
 * CSV (`text/csv`, RFC 4180) and TSV (`text/tab-separated-values`): a header row names the
 * columns; every later row is one record keyed by those names, values as strings.
 * RFC 4180 quoting ("a, b", "say ""hi""", line breaks inside quotes); rows end with `\r\n` or `\n`;
 * blank lines are skipped. Charset by charset.ts's rule (GBK exports from Excel are common).
 */
import { XbError } from '../errors.js';
import { decodeText, type Charset } from './charset.js';
import { setField } from './fields.js';

export interface CsvOptions {
  /** One character; `,` for CSV, always a tab for TSV. */
  readonly delimiter: string;
  readonly charset: Charset | undefined;
  /** `CSV` or `TSV`, for messages. */
  readonly label: string;
}

/** Rows after the header as records; XB_PARSE_CSV_INVALID names the line (1-based), never a value. */
export function parseCsvRecords(bytes: Uint8Array, options: CsvOptions, where = 'the body'): Record<string, unknown>[] {
  const text = decodeText(bytes, options.charset, (reason) => csvInvalid(options, where)(`it ${reason}`));
  const reader = new CsvReader(options, where);
  return reader.rows(text, 1);
}

export const csvInvalid = (options: Pick<CsvOptions, 'label'>, where: string) => (message: string) =>
  new XbError('XB_PARSE_CSV_INVALID', `${where} is not valid ${options.label}: ${message}`);

/**
 * Rows to records, the header row first. `rows` takes text that ends at a row boundary (or the
 * end of the body) and the line it starts on, so a body can be read in pieces (stream.ts).
 */
export class CsvReader {
  private header: string[] | undefined;
  private readonly invalid: (m: string) => XbError;
  constructor(
    private readonly options: CsvOptions,
    where: string,
  ) {
    this.invalid = csvInvalid(options, where);
  }

  rows(text: string, firstLine: number): Record<string, unknown>[] {
    const records: Record<string, unknown>[] = [];
    const invalid = this.invalid;
    for (const row of rows(text, this.options.delimiter.charCodeAt(0), invalid, firstLine)) {
      const header = this.header;
      if (!header) {
        this.header = row.fields;
        const seen = new Map<string, number>();
        row.fields.forEach((name, i) => {
          const first = seen.get(name);
          // A repeated column name would make one value overwrite the other: uninspected data.
          if (first !== undefined) throw invalid(`line ${row.line}: header column ${i + 1} has the same name as column ${first + 1}`);
          seen.set(name, i);
        });
        continue;
      }
      if (row.fields.length > header.length) throw invalid(`line ${row.line} has ${row.fields.length} fields; the header names ${header.length}`);
      const record: Record<string, unknown> = {};
      row.fields.forEach((v, i) => setField(record, header[i] as string, v));
      records.push(record);
    }
    return records;
  }
}

interface Row {
  /** Line on which the row starts, 1-based. */
  readonly line: number;
  readonly fields: string[];
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** RFC 4180 rows, skipping blank lines. A quote inside an unquoted field is kept as a character. */
function* rows(text: string, delimiter: number, invalid: (m: string) => XbError, firstLine = 1): Generator<Row> {
  const n = text.length;
  let i = 0;
  let line = firstLine;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let blank = true;
    for (;;) {
      // One field, starting at i.
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        blank = false;
        const fieldLine = line;
        let out = '';
        let from = ++i;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw invalid(`line ${fieldLine}: a quoted field is never closed`);
          for (let k = text.indexOf('\n', i); k >= 0 && k < q; k = text.indexOf('\n', k + 1)) line++;
          if (text.charCodeAt(q + 1) === QUOTE) {
            out += text.slice(from, q + 1);
            i = from = q + 2;
            continue;
          }
          out += text.slice(from, q);
          i = q + 1;
          break;
        }
        const c = text.charCodeAt(i);
        if (i < n && c !== delimiter && c !== CR && c !== LF) throw invalid(`line ${line}: text after the closing quote of a field`);
        value = out;
      } else {
        const from = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === delimiter || c === LF || (c === CR && text.charCodeAt(i + 1) === LF)) break;
          i++;
        }
        value = text.slice(from, i);
        if (value !== '') blank = false;
      }
      fields.push(value);
      if (i < n && text.charCodeAt(i) === delimiter) {
        blank = false;
        i++;
        continue;
      }
      break;
    }
    // End of row: \r\n, \n or the end of the text.
    if (text.charCodeAt(i) === CR) i++;
    if (text.charCodeAt(i) === LF) {
      i++;
      line++;
    }
    if (!blank) yield { line: startLine, fields };
  }
}
