/**
 * Bank cards and bank account numbers (regs/national-rules.md: "16–19 digits, Luhn; plain account
 * numbers (10–30 digits, no checksum) only with a field-name or label context").
 *
 * Cards: 16–19 digits, plain or in groups of four (`6222 0212 3456 7890 123`), Luhn-valid (ISO/IEC
 * 7812-1 Annex B), not part of a longer digit or letter run, with an issuer prefix a card can have
 * (2221–2720, 35, 4, 5, 6, 95). A card label (卡号, 银行卡, card) lifts the prefix test, unless
 * it names another card (SIM卡号, 会员卡); an order label (订单, order…) and no card label makes it a
 * low-confidence finding: order numbers of that length pass Luhn one time in ten.
 * Accounts: a labelled run of 10–30 digits (spaces and dashes between digits allowed) that is not
 * already a card or a resident ID, and not a login account (QQ账号, 用户账号). Unlabelled digit runs
 * are neither hits nor findings: every timestamp and order number would be one.
 */
import { ORDER_LABELS, eachMatch, labelled, labels, type FieldName } from './context.js';
import { isResidentId } from './residentId.js';

export const CARD_LABELS = labels('卡号', '银行卡', '借记卡', '信用卡', '储蓄卡', 'card');
/** Cards that are no bank's (a SIM's ICCID passes Luhn too): their label vouches for nothing. */
export const OTHER_CARD_LABELS = labels('sim', 'iccid', '手机卡', '电话卡', '流量卡', '会员卡', '积分卡', '礼品卡', '购物卡', '加油卡', 'gift', 'member', 'loyalty');
export const ACCOUNT_LABELS = labels('账号', '帐号', '账户', '帐户', '卡号', '银行卡', 'account', 'acct', 'a/c', 'iban', 'cardno', 'card no', 'card number');
/** Login accounts (QQ账号, 用户账号): numbers, but no one's bank account (cn-pi-dictionary's interpretation). */
export const LOGIN_LABELS = labels('qq', '用户', '登录', '会员', '游戏', 'user', 'login');

// Plain run, or four groups of four and a last group of 1–3, one separator kind throughout.
const CARD = /(?<![0-9A-Za-z])\d{16,19}(?![0-9A-Za-z])|(?<![0-9A-Za-z]|\d[ -])\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?(?![0-9A-Za-z]|[ -]\d)/g;
const ACCOUNT = /(?<![0-9A-Za-z]|\d[ -])\d(?:[ -]?\d){9,29}(?![0-9A-Za-z]|[ -]\d)/g;

/** Luhn (ISO/IEC 7812-1 Annex B) over a string of digits. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double && (d *= 2) > 9) d -= 9;
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes of cards 16–19 digits long: Mastercard 2221–2720 and 51–55, JCB 35, Visa 4, UnionPay 62 and the other 6s, legacy domestic 95. */
export function plausibleIssuer(digits: string): boolean {
  switch (digits[0]) {
    case '2': {
      const p = Number(digits.slice(0, 4));
      return p >= 2221 && p <= 2720;
    }
    case '3':
      return digits[1] === '5';
    case '4':
    case '5':
    case '6':
      return true;
    case '9':
      return digits[1] === '5';
    default:
      return false;
  }
}

export interface CardHit {
  readonly value: string;
  /** Set when only a reviewer should see it. */
  readonly orderContext: boolean;
}

/** Luhn-valid card numbers in `text`; `key` is the field's name (label context). */
export function findBankCards(text: string, key?: FieldName, onDate?: Date): CardHit[] {
  const out: CardHit[] = [];
  eachMatch(CARD, text, (m) => {
    const digits = m[1] ? m[0].replace(/[ -]/g, '') : m[0];
    if (!luhn(digits) || (digits.length === 18 && isResidentId(digits, onDate))) return;
    const card = labelled(text, m.index, key, CARD_LABELS) && !labelled(text, m.index, key, OTHER_CARD_LABELS);
    if (!card && !plausibleIssuer(digits)) return;
    out.push({ value: digits, orderContext: !card && labelled(text, m.index, key, ORDER_LABELS) });
  });
  return out;
}

/** Labelled account numbers in `text` that are neither cards nor resident IDs. */
export function findBankAccounts(text: string, key?: FieldName, onDate?: Date): string[] {
  const out: string[] = [];
  eachMatch(ACCOUNT, text, (m) => {
    if (!labelled(text, m.index, key, ACCOUNT_LABELS) || labelled(text, m.index, key, LOGIN_LABELS)) return;
    const digits = m[0].replace(/[ -]/g, '');
    // A card findBankCards reports (or demotes to a finding) is its call, not an account.
    if (digits.length >= 16 && digits.length <= 19 && luhn(digits) && (plausibleIssuer(digits) || labelled(text, m.index, key, CARD_LABELS))) return;
    if (digits.length === 18 && isResidentId(digits, onDate)) return;
    out.push(digits);
  });
  return out;
}
