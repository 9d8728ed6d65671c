/**
 * E-mail addresses, conservatively (RFC 5321 §4.1.2 dot-atoms, ASCII only): a local part of at most
 * 64 characters from [A-Za-z0-9._%+-], `@`, then at least two DNS labels of 1–63 letters, digits or
 * inner dashes, the last one 2–24 letters (or `xn--`), 253 characters at most. Found by scanning
 * from each `@` outwards, each scan bounded, so the cost is linear however many `@` a value holds.
 * Not taken: `@mentions`, `user@localhost`, `pkg@1.2.3`, asset names such as `icon@2x.png`.
 */
const LOCAL_MAX = 64;
const DOMAIN_MAX = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TLD = /^(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59})$/;
/** File extensions that follow an `@2x`-style asset name, never top-level domains people mail. */
const FILE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'css', 'js', 'json', 'html', 'htm', 'pdf', 'txt', 'zip', 'mp3', 'mp4']);

const isLocalChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
const isDomainChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45;

/** Every address inside `text`, lower-cased. */
export function findEmails(text: string): string[] {
  const out: string[] = [];
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start <= LOCAL_MAX && isLocalChar(text.charCodeAt(start - 1))) start--;
    // A longer local part than the limit is no address (and no suffix of it is one).
    if (at - start > LOCAL_MAX || at === start) continue;
    let end = at + 1;
    while (end < text.length && end - at - 1 <= DOMAIN_MAX && isDomainChar(text.charCodeAt(end))) end++;
    if (end - at - 1 > DOMAIN_MAX) continue;
    const local = text.slice(start, at).replace(/^\.+/, '');
    const domain = text.slice(at + 1, end).replace(/[.-]+$/, '').toLowerCase();
    if (local === '' || local.endsWith('.') || local.includes('..') || !validDomain(domain)) continue;
    out.push(`${local.toLowerCase()}@${domain}`);
  }
  return out;
}

function validDomain(domain: string): boolean {
  const parts = domain.split('.');
  if (parts.length < 2) return false;
  const tld = parts[parts.length - 1] as string;
  if (!TLD.test(tld) || FILE_EXTENSIONS.has(tld)) return false;
  for (const p of parts) if (!LABEL.test(p)) return false;
  return true;
}
