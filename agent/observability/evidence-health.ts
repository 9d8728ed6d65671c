/**
 * The evidence log as ops watch it: the time of the last record appended (metrics' evidence lag)
 * and whether the log has failed (a failed log accepts nothing until restart: `/readyz` goes 503).
 * A pass-through wrapper: every append still goes to the log, in the same order, with the same result.
 */
import type { EvidenceLog } from '../record/log.js';

export interface EvidenceHealth {
  /** `timeMs` of the last record whose append resolved; undefined before the first. */
  lastAppendMs(): number | undefined;
  /** The error the log failed with, if it has (it then refuses every append until restart). */
  failure(): Error | undefined;
}

/** Wrap `log` so appends are watched; use the result wherever the log was used. */
export function watchEvidence(log: EvidenceLog): EvidenceLog & EvidenceHealth {
  let last: number | undefined;
  let failed: Error | undefined;
  return {
    // Whatever else the log offers passes through as is (`recovered` is fixed at open).
    ...log,
    append(entry) {
      const appended = log.append(entry);
      // Observed on a branch of its own: the caller's promise (and its rejection) is untouched.
      appended.then(
        () => (last = Math.max(last ?? 0, entry.timeMs)),
        (err: unknown) => (failed ??= err instanceof Error ? err : new Error(String(err))),
      );
      return appended;
    },
    lastAppendMs: () => last,
    failure: () => failed,
  };
}
