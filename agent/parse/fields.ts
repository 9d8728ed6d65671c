/** Building records from names taken from the body (CSV headers, form and multipart field names). */

/**
 * Set `key` on a record as an own, enumerable property. Plain assignment would let a field named
 * `__proto__` replace the record's prototype instead of becoming a field.
 */
export function setField(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Add a field value; a repeated name turns the field into an array of its values, in order. */
export function addField(record: Record<string, unknown>, key: string, value: unknown): void {
  if (!Object.prototype.hasOwnProperty.call(record, key)) return setField(record, key, value);
  const prev = record[key];
  if (Array.isArray(prev)) prev.push(value);
  else setField(record, key, [prev, value]);
}
