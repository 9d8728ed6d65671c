/**
 * A body that is plainly not what its Content-Type says, where the declared format's parser
 * would accept it anyway and hide its data from classify: JSON sent as CSV or TSV becomes a
 * header row of column names (names are not scanned for identifiers, and a one-line body has no
 * rows at all), JSON or CSV sent as a form becomes field names with empty values. Refused with
 * 415 XB_BODY_TYPE_MISMATCH. The other direction needs no sniffing: CSV declared as JSON fails
 * `JSON.parse`, and `text/plain` is scanned whole by the value detectors whatever it holds.
 */
import { XbError } from '../errors.js';

/** The body is a JSON object or array (checked with JSON.parse only when its first and last bytes say so). */
export function looksLikeJson(bytes: Buffer): boolean {
  // A UTF-8 byte-order mark before the JSON.
  let a = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let b = bytes.length - 1;
  while (a <= b && isSpace(bytes[a] as number)) a++;
  while (b >= a && isSpace(bytes[b] as number)) b--;
  if (a >= b) return false;
  const first = bytes[a];
  const last = bytes[b];
  if (!((first === 0x7b && last === 0x7d) || (first === 0x5b && last === 0x5d))) return false;
  try {
    JSON.parse(bytes.toString('utf8', a, b + 1));
    return true;
  } catch {
    return false;
  }
}

/** Refuses a CSV/TSV or form body that is JSON, and a form body without a single `name=value`. */
export function checkDeclaredType(bytes: Buffer, format: 'csv' | 'tsv' | 'form', declared: string, where: string): void {
  const mismatch = (what: string) => new XbError('XB_BODY_TYPE_MISMATCH', `${where} is declared ${declared} but ${what}; send it with its own content-type`);
  if (looksLikeJson(bytes)) throw mismatch('is JSON');
  if (format === 'form' && !bytes.includes(0x3d)) throw mismatch('has no name=value field');
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
