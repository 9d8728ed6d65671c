/**
 * NDJSON / JSON Lines (`application/x-ndjson`, `application/jsonl`, …): one JSON value per line,
 * each line one record. Blank lines are skipped; `\r\n` and `\n` both end a line.
 */
import { XbError } from '../errors.js';
import { decodeText, type Charset } from './charset.js';
import { parseJsonText } from './json.js';

/** Each non-blank line is a record; XB_PARSE_INVALID_JSON names the line (1-based) and position in it. */
export function parseNdjsonRecords(bytes: Uint8Array, charset: Charset | undefined, where = 'the body'): unknown[] {
  const text = decodeText(bytes, charset, (reason) => new XbError('XB_PARSE_INVALID_JSON', `${where} ${reason}`));
  const records: unknown[] = [];
  let line = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const content = text.slice(start, end);
    start = end + 1;
    if (content.trim() === '') continue;
    records.push(parseJsonText(content, (why) => `${where}: line ${line} is not valid JSON${why}`, `${where}: line ${line}`));
  }
  return records;
}
