/** Field-name matching ignores width, case and separators: shipperName = shipper_name = shipper.name. */
export const normalizeTerm = (s: string): string => s.normalize('NFKC').toLowerCase().replace(/[\s_.\-]/g, '');
