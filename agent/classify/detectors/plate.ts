/**
 * Mainland licence plates (GA 36-2018): a province abbreviation, the issuing office's letter, then
 * 5 characters (ordinary plates; at least 3 of them digits), 6 for new-energy vehicles (D or F
 * first with 4 digits last, or 5 digits then D or F), or 4 and a use character (学 挂 警 港 澳 领
 * 试 超). A `·`, space or dash may follow the office letter. Letters exclude I and O (GA 36-2018);
 * matched in either case and reported upper-case without the separator.
 */
import { eachMatch } from './context.js';

const PROVINCES = '京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新';
const L = 'A-HJ-NP-Z';
const PLATE = new RegExp(
  `([${PROVINCES}])([${L}])[·•・. -]?([DF][${L}0-9]\\d{4}|\\d{5}[DF]|[${L}0-9]{4}[挂学警港澳领试超]|[${L}0-9]{5})(?![0-9A-Za-z])`,
  'gi',
);
const DIGITS = /\d/g;

/** Every plate inside `text`, normalized (粤B·12345 → 粤B12345). */
export function findPlates(text: string): string[] {
  const out: string[] = [];
  eachMatch(PLATE, text, (m) => {
    const serial = (m[3] as string).toUpperCase();
    if (serial.length === 5 && /^[0-9A-Z]{5}$/.test(serial) && (serial.match(DIGITS)?.length ?? 0) < 3) return;
    out.push(`${m[1]}${(m[2] as string).toUpperCase()}${serial}`);
  });
  return out;
}
