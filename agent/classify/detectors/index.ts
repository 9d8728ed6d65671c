/**
 * Value detectors: find identifiers in any string, labelled or not. Each is cheap to reject
 * (a length check and a digit test before any regex) and linear on adversarial input.
 */
import type { Detector } from '../../policy/schema.js';
import { findMobiles } from './mobile.js';
import { findResidentIds } from './residentId.js';

export interface Detection {
  readonly detector: Detector;
  /** The identifier, normalized (digits only, upper-case check letter). */
  readonly value: string;
}

const HAS_DIGIT = /\d/;
const FULL_WIDTH_DIGIT = /[\uFF10-\uFF19]/;

/** Run every detector over one string value. `onDate` bounds plausible birth dates. */
export function detect(raw: string, onDate: Date): Detection[] {
  if (raw.length < 11) return [];
  // Full-width digits (１３８…) are the same number to a person, so to us.
  const text = FULL_WIDTH_DIGIT.test(raw) ? raw.normalize('NFKC') : raw;
  if (!HAS_DIGIT.test(text)) return [];
  const out: Detection[] = [];
  for (const value of findResidentIds(text, onDate)) out.push({ detector: 'resident-id', value });
  for (const value of findMobiles(text)) out.push({ detector: 'mobile', value });
  return out;
}
