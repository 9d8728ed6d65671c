/** Persons on a counter in [min, max) need an obligation; `max` undefined means unbounded. */
export interface Range {
  readonly min: number;
  readonly max: number | undefined;
}

/**
 * Does a transfer that moves a counter from `before` to `after` reach the range? True when the
 * counter ends inside it or passes through it, and also when it already sits inside it and the
 * transfer adds nobody new (the persons are still being sent). The store's refusal and decide()'s
 * block both use this one predicate, so they can never disagree.
 */
export const reaches = (r: Range, before: number, after: number): boolean =>
  r.min <= after && (r.max === undefined || before < r.max);
