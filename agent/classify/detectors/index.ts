/**
 * Value detectors: find identifiers in any string, labelled or not (README.md beside this file says
 * what each accepts, its checksum, its prefilter and its confidence rule). One pass over the string
 * counts its digits, digit runs and marker characters; each detector runs only if those could hold
 * its shortest match, so most strings cost that one pass and no regex. Every detector is linear on
 * adversarial input (bounded quantifiers, lookbehinds that stop matches starting inside a run).
 *
 * A detection without `reason` is a hit: classify makes it a PiField. One with `reason` is a
 * low-confidence finding, shown for review and never counted (identifiers without a checksum and
 * without label context; an individual business's code until classify sees the operator's name).
 */
import { DETECTORS, type Detector } from '../../policy/schema.js';
import type { FindingReason } from '../../types.js';
import { ACCOUNT_LABELS, findBankAccounts, findBankCards } from './bankCard.js';
import { fieldName, labelInKey } from './context.js';
import { CHINA, DEFAULT_PRECISION, findCoordinates, type Polygon } from './coordinates.js';
import { findEmails } from './email.js';
import { findIpv4, findIpv6 } from './ip.js';
import { findLandlines } from './landline.js';
import { findMobiles } from './mobile.js';
import { findPlates } from './plate.js';
import { findResidentIds } from './residentId.js';
import { findTravelDocuments } from './travelDocument.js';
import { findUscc } from './uscc.js';

export interface Detection {
  readonly detector: Detector;
  /** The identifier, normalized (digits only, upper-case letters, `lat,lon`…). */
  readonly value: string;
  /** Present on a low-confidence hit: why it is only shown for review, never counted. */
  readonly reason?: FindingReason;
}

export interface DetectOptions {
  /** Decimal places both coordinates need to be a precise location (default 4, ~11 m). */
  readonly precision?: number;
  /** Where coordinates count (default: the coarse mainland outline, china-polygon.json). */
  readonly polygon?: Polygon;
  /** Only these detectors (the route's policy maps the others to no data item). Default: all. */
  readonly only?: { has(detector: Detector): boolean };
}

/** Shortest value any detector takes: `a@b.cn`. */
const MIN_LENGTH = 6;
/** Any of bankCard.ts's ACCOUNT_LABELS, in one pass. */
const ACCOUNT_HINT = /账号|帐号|账户|帐户|卡号|银行卡|account|acct|a\/c|iban|card/i;

/** What one pass over a string learns, for the prefilters. */
interface Census {
  digits: number;
  longestRun: number;
  at: boolean;
  dots: number;
  colons: number;
  letters: number;
  /** Any character above U+3000 (CJK: plates, labels). */
  cjk: boolean;
  /** Full-width digits or ＠ (U+FF10–FF19, FF20): the string needs NFKC first. */
  fullWidth: boolean;
  /** Spaces and dashes: a card in groups of four has three or four. */
  separators: number;
  /**
   * A digit run of three or more starting with 0 (an area code with its trunk 0, `0086`, `(0771)`)
   * or `+86`: every landline form has one or the other.
   */
  trunkZero: boolean;
  /** `1` then 3–9: the start every mobile number has. */
  mobileStart: boolean;
}

/** One census object, refilled for each string: detect is synchronous and never re-entered. */
const c: Census = { digits: 0, longestRun: 0, at: false, dots: 0, colons: 0, letters: 0, cjk: false, fullWidth: false, separators: 0, trunkZero: false, mobileStart: false };

function census(s: string): void {
  c.digits = 0;
  c.longestRun = 0;
  c.at = false;
  c.dots = 0;
  c.colons = 0;
  c.letters = 0;
  c.cjk = false;
  c.fullWidth = false;
  c.separators = 0;
  c.trunkZero = false;
  c.mobileStart = false;
  let run = 0;
  // Whether the current digit run starts with 0.
  let zeroRun = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch >= 48 && ch <= 57) {
      c.digits++;
      if (run === 0) zeroRun = ch === 48;
      if (++run > c.longestRun) c.longestRun = run;
      if (zeroRun && run >= 3) c.trunkZero = true;
      if (ch === 49 && !c.mobileStart) {
        const next = s.charCodeAt(i + 1);
        if (next >= 51 && next <= 57) c.mobileStart = true;
      }
      continue;
    }
    run = 0;
    const letter = (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122);
    if (ch === 32 || ch === 45) c.separators++;
    if (ch === 43 && s.charCodeAt(i + 1) === 56 && s.charCodeAt(i + 2) === 54) c.trunkZero = true;
    if (letter) c.letters++;
    else if (ch === 46) c.dots++;
    else if (ch === 58) c.colons++;
    else if (ch === 64) c.at = true;
    else if (ch >= 0x3000) {
      c.cjk = true;
      if ((ch >= 0xff10 && ch <= 0xff19) || ch === 0xff20) c.fullWidth = true;
    }
  }
}

type Wants = Readonly<Record<Detector, boolean>>;
const ALL: Wants = Object.fromEntries(DETECTORS.map((d) => [d, true])) as unknown as Wants;
/** `only`, asked once per detector and kept: a route's detector set is fixed for its snapshot. */
const wantsMemo = new WeakMap<object, Wants>();

function wantsOf(only: DetectOptions['only']): Wants {
  if (!only) return ALL;
  let w = wantsMemo.get(only);
  if (!w) wantsMemo.set(only, (w = Object.fromEntries(DETECTORS.map((d) => [d, only.has(d)])) as unknown as Wants));
  return w;
}

/** Digits and @, ASCII or full-width (NFKC makes those ASCII): every detector needs one. */
const MAY_DETECT = /[0-9@\uFF10-\uFF19\uFF20]/;

const NONE = Object.freeze([]) as unknown as Detection[];

/**
 * Run the detectors over one string value. `onDate` bounds plausible birth dates; `key` is the
 * field's own name, whose label words (`passportNo`, `收款账号`) are context for identifiers
 * without a checksum. The array returned when nothing is found is shared: do not modify it.
 */
export function detect(raw: string, onDate: Date, options: DetectOptions = {}, key?: string): Detection[] {
  // Most strings hold no digit and no @ (names, goods, addresses without a number): one native scan tells.
  if (raw.length < MIN_LENGTH || !MAY_DETECT.test(raw)) return NONE;
  let text = raw;
  census(raw);
  // Full-width digits (１３８…) and ＠ are the same identifier to a person, so to us.
  if (c.fullWidth) census((text = raw.normalize('NFKC')));
  if (c.digits === 0 && !c.at) return NONE;
  // Below every gate that follows (a name or an address with a house number): nothing to run.
  if (c.digits < 10 && c.longestRun < 6 && !c.at && c.dots < 2 && c.colons < 2 && !(c.cjk && c.letters > 0 && c.digits >= 3)) return NONE;
  const want = wantsOf(options.only);
  const name = fieldName(key);
  let out = NONE;
  const add = (detector: Detector, value: string, reason?: FindingReason) => {
    if (out === NONE) out = [];
    out.push(reason ? { detector, value, reason } : { detector, value });
  };

  if (c.longestRun >= 17 && want['resident-id']) for (const v of findResidentIds(text, onDate)) add('resident-id', v);
  if (c.digits >= 11 && c.mobileStart && want.mobile) for (const v of findMobiles(text)) add('mobile', v);
  // Every landline form starts at a trunk 0 (0771…, 0086…) or is written +86….
  if (c.digits >= 10 && c.trunkZero && want.landline)
    for (const v of findLandlines(text, name)) add('landline', v);
  // A card is one run of 16–19 digits, or groups of four split by three or four spaces or dashes.
  if (c.digits >= 16 && (c.longestRun >= 16 || (c.longestRun >= 4 && c.separators >= 3)) && want['bank-card'])
    for (const h of findBankCards(text, name, onDate)) add('bank-card', h.value, h.orderContext ? 'order-context' : undefined);
  // Account numbers count only under a label: look for one before running the digit-run regex.
  if (c.digits >= 10 && want['bank-account'] && (ACCOUNT_HINT.test(text) || labelInKey(name, ACCOUNT_LABELS)))
    for (const v of findBankAccounts(text, name, onDate)) add('bank-account', v);
  if (c.longestRun >= 6 && c.letters > 0 && (want.passport || want['travel-permit']))
    for (const h of findTravelDocuments(text, name)) if (want[h.detector]) add(h.detector, h.value, h.labelled ? undefined : 'no-label');
  if (text.length >= 18 && c.longestRun >= 6 && want['uscc-92'])
    // Organizations' codes are no one's PI; an individual business's waits for the operator's name.
    for (const u of findUscc(text)) if (u.individual) add('uscc-92', u.value, 'no-operator-name');
  if (c.at && want.email) for (const v of findEmails(text)) add('email', v);
  if (want['ip-address']) {
    if (c.dots >= 3 && c.digits >= 4) for (const v of findIpv4(text)) add('ip-address', v);
    // Eight groups need seven colons; fewer need `::`. Times (12:30:45) have neither.
    if (c.colons >= 7 || (c.colons >= 2 && text.includes('::'))) for (const v of findIpv6(text)) add('ip-address', v);
  }
  if (c.cjk && c.letters > 0 && c.digits >= 3 && want['licence-plate']) for (const v of findPlates(text)) add('licence-plate', v);
  const precision = options.precision ?? DEFAULT_PRECISION;
  if (c.dots >= 2 && c.digits >= 2 * precision + 2 && want.coordinates)
    for (const v of findCoordinates(text, precision, options.polygon ?? CHINA)) add('coordinates', v);
  return out;
}
