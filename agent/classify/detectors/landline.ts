/**
 * Mainland landline numbers (电信网编号计划, MIIT 2017): trunk prefix 0, an area code (10 and 20–29
 * with 8-digit local numbers; 3-digit codes 3xx–9xx with 7- or 8-digit ones), a local number that
 * starts 2–9. Written `010-12345678`, `0771 1234567`, `(0771)1234567`, `（010）12345678`, or
 * internationally `+86 771 1234567` / `0086-10-12345678` (trunk 0 dropped). The separated forms are
 * unmistakable; the bare run (`07711234567`) looks like any order number and counts only with a
 * label (电话, 座机, tel…) before it or in the field name. Normalized to `0AREA-LOCAL`.
 */
import { eachMatch, labelled, labels, type FieldName } from './context.js';

export const PHONE_LABELS = labels('电话', '座机', '固话', '传真', '联系方式', 'tel', 'phone', 'fax');

const AREA = '(?:10|2\\d|[3-9]\\d{2})';
const LANDLINE = new RegExp(
  [
    // +86 / 0086 and the area code without its trunk 0
    `(?<![0-9A-Za-z+])(?:\\+|00)86[ -]?(${AREA})[ -]?([2-9]\\d{6,7})(?![0-9])`,
    // (0771)1234567, （010）12345678
    `[(（](0${AREA})[)）] ?([2-9]\\d{6,7})(?![0-9])`,
    // 0771-1234567, 010 12345678
    `(?<![0-9A-Za-z.+-])(0${AREA})[ -]([2-9]\\d{6,7})(?![0-9])`,
    // bare 07711234567: only with a label
    `(?<![0-9A-Za-z.+-])(0${AREA})([2-9]\\d{6,7})(?![0-9A-Za-z])`,
  ].join('|'),
  'g',
);

/** Every landline number inside `text`; `key` is the field's name (label context for bare runs). */
export function findLandlines(text: string, key?: FieldName): string[] {
  const out: string[] = [];
  eachMatch(LANDLINE, text, (m) => {
    let area: string;
    let local: string;
    if (m[1] !== undefined) [area, local] = [`0${m[1]}`, m[2] as string];
    else if (m[3] !== undefined) [area, local] = [m[3], m[4] as string];
    else if (m[5] !== undefined) [area, local] = [m[5], m[6] as string];
    else {
      if (!labelled(text, m.index, key, PHONE_LABELS)) return;
      [area, local] = [m[7] as string, m[8] as string];
    }
    // Beijing, Shanghai, Guangzhou… (10, 2x) have 8-digit local numbers only.
    if (area.length === 3 && local.length !== 8) return;
    out.push(`${area}-${local}`);
  });
  return out;
}
