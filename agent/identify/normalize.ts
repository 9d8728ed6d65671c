/**
 * Identifier normalization before keying: one person's number written two ways must give one key
 * (NFKC folds full-width digits and letters; spaces, dashes and +86/0086 go; the ID check letter
 * is upper-case; e-mail is lower-case).
 */
const SEPARATORS = /[\s\-()（）]/g;

export const normalizeText = (s: string): string => s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

export function normalizeResidentId(s: string): string {
  return s.normalize('NFKC').replace(SEPARATORS, '').toUpperCase();
}

export function normalizePhone(s: string): string {
  const digits = s.normalize('NFKC').replace(SEPARATORS, '').replace(/^\+/, '');
  if (digits.startsWith('0086')) return digits.slice(4);
  if (digits.startsWith('86') && digits.length === 13) return digits.slice(2);
  return digits;
}

export const normalizeEmail = (s: string): string => s.normalize('NFKC').trim().toLowerCase();
