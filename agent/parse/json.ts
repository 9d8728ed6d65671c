/**
 * JSON bodies (`application/json`, `…+json`): the records at the route's record root.
 * `parseJsonText` is also how NDJSON lines and JSON parts of a multipart body are read. Beyond
 * `JSON.parse` it refuses what would hide data or hurt the gateway (json-scan.ts: one native scan
 * of the text, one walk of the value): nesting deeper than MAX_JSON_DEPTH, a `\u0000` escape (a NUL in a value or a key,
 * which a C consumer upstream reads as the end of the string), and it keeps every value of a
 * repeated key (json-duplicates.ts), which `JSON.parse` drops.
 */
import { XbError } from '../errors.js';
import { decodeText, type Charset } from './charset.js';
import { parseKeepingDuplicates } from './json-duplicates.js';
import { escapedNul, keyColons, shapeOf } from './json-scan.js';
import { recordsAt, type RecordRoot } from './recordRoot.js';

/**
 * Deepest nesting of `{`/`[` taken at all. Far above what classify walks (its MAX_DEPTH of 64
 * levels per record refuses deeper records with the same code); deeper bodies are refused before
 * anything walks them recursively.
 */
export const MAX_JSON_DEPTH = 256;

/** Parse a JSON body and return the records at `root`; XB_PARSE_INVALID_JSON with a position, never the text. */
export function parseJsonRecords(bytes: Uint8Array, charset: Charset | undefined, root: RecordRoot, where = 'the body'): unknown[] {
  const text = decodeText(bytes, charset, (reason) => new XbError('XB_PARSE_INVALID_JSON', `${where} ${reason}`));
  return recordsAt(parseJsonText(text, (why) => `${where} is not valid JSON${why}`, where), root, where);
}

/**
 * JSON.parse whose error names only the position: V8's message may quote the text around it,
 * which may be PI. `where` names the body (or line, or part) in the other refusals.
 */
export function parseJsonText(text: string, message: (why: string) => string, where = 'the body'): unknown {
  const tooDeep = () => new XbError('XB_PARSE_TOO_DEEP', `${where} nests deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (err instanceof RangeError) throw tooDeep(); // a JSON.parse that recursed: not V8's today, but never a 500
    const msg = (err as Error).message;
    const at = /position (\d+)/.exec(msg)?.[1];
    const why = at ? ` (error at character ${at})` : /end of JSON input/.test(msg) ? ' (it ends too early)' : '';
    throw new XbError('XB_PARSE_INVALID_JSON', message(why));
  }
  const nul = escapedNul(text);
  if (nul >= 0) throw new XbError('XB_PARSE_INVALID_JSON', message(` (a \\u0000 escape, a NUL character, at character ${nul})`));
  const shape = shapeOf(value, MAX_JSON_DEPTH);
  if (shape.depth > MAX_JSON_DEPTH) throw tooDeep();
  // Fewer keys kept than the bound on those written: a key may repeat. Only then the slower parse.
  if (shape.keys !== keyColons(text)) return parseKeepingDuplicates(text, message);
  return value;
}
