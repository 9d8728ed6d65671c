/**
 * Passport and travel-permit numbers. None carries a check character, and all look like order and
 * parcel numbers (a letter and 7–10 digits), so a hit counts only with label context: a label word
 * in the field name or ending at most LABEL_WINDOW characters before the value (护照号 E12345678).
 * Without it the hit is a low-confidence finding for review (regs/national-rules.md, "Identifiers").
 *
 * passport:       E + 8 digits and E + letter + 7 (PRC ordinary e-passport, EA… once the digits ran
 *                 out), G + 8 (PRC, before 2012), DE/SE/PE + 7 (diplomatic, service, public
 *                 affairs), K + 8 (HKSAR), MA + 6–7 (Macao SAR); H + 8 under a passport label (HKSAR).
 * travel-permit:  H/M + 8, optionally + 2-digit issue count (港澳居民来往内地通行证), C + 8 or
 *                 C + letter + 7 (往来港澳通行证), L + 8 (大陆居民往来台湾通行证).
 * Letters exclude I and O, as the issuing authorities do; matched in either case, reported upper-case.
 */
import { eachMatch, labelled, labels, type FieldName } from './context.js';

export const PASSPORT_LABELS = labels('护照', 'passport');
export const DOCUMENT_LABELS = labels('护照', '通行证', '回乡证', '台胞证', '旅行证', '证件', 'passport', 'permit', 'travel document');

const L = 'A-HJ-NP-Z';
const DOCUMENT = new RegExp(
  `(?<![0-9A-Za-z])(?:E[${L}]\\d{7}|[EGKL]\\d{8}|(?:DE|SE|PE)\\d{7}|MA\\d{6,7}|[HM]\\d{8}(?:\\d{2})?|C[${L}0-9]\\d{7})(?![0-9A-Za-z@])`,
  'gi',
);
const PASSPORT_SHAPE = /^(?:[EGK]|DE|SE|PE|MA)/;

export interface DocumentHit {
  readonly detector: 'passport' | 'travel-permit';
  readonly value: string;
  readonly labelled: boolean;
}

/** Passport- and permit-shaped values in `text`, with whether a label vouches for them. */
export function findTravelDocuments(text: string, key?: FieldName): DocumentHit[] {
  const out: DocumentHit[] = [];
  eachMatch(DOCUMENT, text, (m) => {
    const value = m[0].toUpperCase();
    let detector: DocumentHit['detector'] = PASSPORT_SHAPE.test(value) ? 'passport' : 'travel-permit';
    // H + 8 is both an HKSAR passport and a home-return permit: the label decides.
    if (value[0] === 'H' && value.length === 9 && labelled(text, m.index, key, PASSPORT_LABELS)) detector = 'passport';
    out.push({ detector, value, labelled: labelled(text, m.index, key, DOCUMENT_LABELS) });
  });
  return out;
}
