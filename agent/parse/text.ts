/** `text/plain`: one record `{ text }`, so only value detectors (ID numbers, phones, …) find PI in it. */
import { XbError } from '../errors.js';
import { decodeText, type Charset } from './charset.js';

/** The text as one record (none for an empty body); XB_PARSE_TEXT_INVALID when it does not decode. */
export function parseTextRecords(bytes: Uint8Array, charset: Charset | undefined, where = 'the body'): { text: string }[] {
  if (bytes.length === 0) return [];
  const text = decodeText(bytes, charset, (reason) => new XbError('XB_PARSE_TEXT_INVALID', `${where} ${reason}`));
  return [{ text }];
}
