/**
 * NFKC is the identity on ASCII and on the CJK unified ideographs (U+4E00-9FFF), which is most of
 * what payloads carry: test for anything else before paying for `normalize('NFKC')`.
 */
export const NFKC_SENSITIVE = /[^\x00-\x7F\u4E00-\u9FFF]/;
