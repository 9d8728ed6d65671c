/** JSON bodies (`application/json`, `…+json`): the records at the route's record root. */
import { XbError } from '../errors.js';
import { decodeText, type Charset } from './charset.js';
import { recordsAt, type RecordRoot } from './recordRoot.js';

/** Parse a JSON body and return the records at `root`; XB_PARSE_INVALID_JSON with a position, never the text. */
export function parseJsonRecords(bytes: Uint8Array, charset: Charset | undefined, root: RecordRoot, where = 'the body'): unknown[] {
  const text = decodeText(bytes, charset, (reason) => new XbError('XB_PARSE_INVALID_JSON', `${where} ${reason}`));
  return recordsAt(parseJsonText(text, (why) => `${where} is not valid JSON${why}`), root, where);
}

/** JSON.parse whose error names only the position: V8's message may quote the text around it, which may be PI. */
export function parseJsonText(text: string, message: (why: string) => string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const at = /position (\d+)/.exec(msg)?.[1];
    const why = at ? ` (error at character ${at})` : /end of JSON input/.test(msg) ? ' (it ends too early)' : '';
    throw new XbError('XB_PARSE_INVALID_JSON', message(why));
  }
}
