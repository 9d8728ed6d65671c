/** The store errors both implementations raise, worded once. */
import { XbError } from '../../errors.js';

export function keyMismatch(year: number, stored: string, given: string): XbError {
  return new XbError(
    'XB_STORE_KEY_MISMATCH',
    `${year} was counted under identity key ${stored.slice(0, 12)}…, but the configured key is ${given.slice(0, 12)}…; ` +
      'a new key would restart counting (an under-count). Restore the original key, or rebuild the counts from evidence.',
  );
}

/** The year had counts, and the store no longer knows it: counting on from zero would under-count. */
export function storeLost(year: number): XbError {
  return new XbError(
    'XB_STORE_LOST',
    `the counter store has no record of ${year}, but ${year} already has counted persons (this gateway saw them, or its evidence holds them): ` +
      'the store was emptied, restarted without persistence or failed over to an empty replica. Transfers carrying PI are refused until ' +
      '`xborder counts rebuild` restores the counters from the evidence log.',
  );
}
