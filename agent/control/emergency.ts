/**
 * Emergency stop: one switch that halts every cross-border transfer of this gateway at once, until
 * an operator resumes. Guangxi FTZ measures Art. 13 (a security incident: stop the transfer at once
 * and take remedial measures) and CAC Order No. 16 Art. 11 (the CAC may order a transfer stopped;
 * the handler must be able to comply at once).
 * In: `POST /api/emergency-stop` / `POST /api/resume` (admin plane), or a caller such as the alerter.
 * Out: `refusal()`, read by the pipeline at the start of every transfer (and before forwarding),
 * and EMERGENCY_STOP / RESUME evidence records.
 * The state is per gateway process (docs/admin.md: stop every replica) and survives a restart: it is
 * written to `<dataDir>/emergency-stop.json` (atomic rename, mode 0600) before the stop is answered,
 * and read before the data plane listens. It never depends on the counter store: the incident may be
 * the store.
 * Never: lift a stop because the state file is unreadable (an unreadable file is a stop).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../clock.js';
import { XbError } from '../errors.js';
import type { Logger } from '../observability/log.js';
import { VERSION } from '../package-root.js';
import type { EvidenceLog } from '../record/log.js';

/** File name of the persisted state, under `dataDir`. */
export const EMERGENCY_FILE = 'emergency-stop.json';

export interface EmergencyState {
  readonly stopped: boolean;
  /** ISO time the stop took effect; null while running. */
  readonly since: string | null;
  readonly by: string | null;
  readonly reason: string | null;
}

export interface EmergencyChange {
  readonly state: EmergencyState;
  /** False when the call changed nothing (stop while stopped, resume while running). */
  readonly changed: boolean;
  /** Seq of the EMERGENCY_STOP / RESUME record; null when nothing changed or the record could not be written. */
  readonly evidenceSeq: number | null;
  /** The code that kept the record from being written (the stop holds anyway). */
  readonly evidenceError: string | null;
}

export interface EmergencyControl {
  /** The current state (cheap, synchronous). */
  state(): EmergencyState;
  /** The error a transfer is refused with while stopped (XB_EMERGENCY_STOP), else undefined. Hot path: no allocation while running. */
  refusal(): XbError | undefined;
  /**
   * Stop every transfer now. In force in memory before anything else; then saved (throws
   * XB_ADMIN_STATE_WRITE_FAILED if it cannot be, the stop staying in force until restart); then
   * recorded (a failed record does not lift the stop: the failed log refuses transfers anyway).
   * A stop while stopped keeps the first one (saved again, nothing recorded).
   */
  stop(by: string, reason: string): Promise<EmergencyChange>;
  /**
   * Let transfers through again: recorded first (no RESUME record, no resume: throws
   * XB_EVIDENCE_WRITE_FAILED), then saved, then lifted. `reason` is optional.
   */
  resume(by: string, reason?: string): Promise<EmergencyChange>;
  /** Told after every change (recorded and saved): the alerter wires this in gateway.ts. */
  onChange?: ((state: EmergencyState) => void) | undefined;
}

export interface EmergencyOptions {
  /** The state file, `<dataDir>/emergency-stop.json`. */
  readonly file: string;
  readonly evidence: Pick<EvidenceLog, 'append'>;
  readonly clock: Clock;
  readonly log: Logger;
  /** The policy revision for the records' lifecycle. */
  readonly policyRevision: () => string;
}

const RUNNING: EmergencyState = { stopped: false, since: null, by: null, reason: null };

/** The control of one gateway, with any stop saved by an earlier run already in force. */
export function openEmergencyControl(opts: EmergencyOptions): EmergencyControl {
  let current = readState(opts.file, opts.clock, opts.log);
  let refusal = current.stopped ? refusalOf(current) : undefined;
  if (current.stopped) opts.log.warn({ code: 'XB_EMERGENCY_STOP', since: current.since, by: current.by }, 'xborder.emergency_stop_in_force');
  // One change at a time: a stop and a resume racing must leave file, record and memory agreeing.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const record = async (kind: 'EMERGENCY_STOP' | 'RESUME', detail: Record<string, unknown>): Promise<number> => {
    const { seq } = await opts.evidence.append({
      kind,
      timeMs: opts.clock.now().getTime(),
      lifecycle: { policyRevision: opts.policyRevision(), version: VERSION, detail: JSON.stringify(detail) },
    });
    return seq;
  };

  const control: EmergencyControl = {
    state: () => current,
    refusal: () => refusal,

    stop: (by, reason) =>
      serial(async () => {
        if (current.stopped) {
          // Saved again: a stop whose first save failed is kept across restarts once this one succeeds.
          writeState(opts.file, current);
          return { state: current, changed: false, evidenceSeq: null, evidenceError: null };
        }
        const next: EmergencyState = { stopped: true, since: opts.clock.now().toISOString(), by, reason };
        // In force before the file and the record: the next transfer is refused whatever follows.
        current = next;
        refusal = refusalOf(next);
        opts.log.warn({ code: 'XB_EMERGENCY_STOP', since: next.since, by }, 'xborder.emergency_stop');
        let unsaved: unknown;
        try {
          writeState(opts.file, next);
        } catch (err) {
          unsaved = err;
        }
        let evidenceSeq: number | null = null;
        let evidenceError: string | null = null;
        try {
          evidenceSeq = await record('EMERGENCY_STOP', { by, reason, since: next.since });
        } catch (err) {
          evidenceError = err instanceof XbError ? err.code : 'XB_INTERNAL';
          opts.log.error({ code: evidenceError, err: { message: (err as Error).message } }, 'xborder.emergency_record_failed');
        }
        notify(control, next, opts.log);
        // Recorded and told even so: the stop holds in this process; the caller learns it is not saved.
        if (unsaved) throw unsaved;
        return { state: next, changed: true, evidenceSeq, evidenceError };
      }),

    resume: (by, reason) =>
      serial(async () => {
        if (!current.stopped) return { state: current, changed: false, evidenceSeq: null, evidenceError: null };
        const evidenceSeq = await record('RESUME', { by, ...(reason ? { reason } : {}), stoppedSince: current.since, stoppedBy: current.by });
        writeState(opts.file, RUNNING);
        current = RUNNING;
        refusal = undefined;
        opts.log.warn({ by, evidenceSeq }, 'xborder.emergency_resume');
        notify(control, RUNNING, opts.log);
        return { state: RUNNING, changed: true, evidenceSeq, evidenceError: null };
      }),
  };
  return control;
}

function notify(control: EmergencyControl, state: EmergencyState, log: Logger): void {
  try {
    control.onChange?.(state);
  } catch (err) {
    log.error({ err: { message: (err as Error).message } }, 'xborder.emergency_listener_failed');
  }
}

/** The problem a refused transfer gets: who stopped transfers, when and why (the reason is shown to clients). */
function refusalOf(s: EmergencyState): XbError {
  return new XbError('XB_EMERGENCY_STOP', `transfers are halted by an emergency stop since ${s.since} (by ${s.by}): ${s.reason}; an operator resumes them with POST /api/resume`, {
    since: s.since,
    by: s.by,
    reason: s.reason,
  });
}

/** The saved state; none saved: running. An unreadable or malformed file is a stop (fail-safe), logged. */
function readState(file: string, clock: Clock, log: Logger): EmergencyState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return RUNNING;
    return unreadable(file, (err as Error).message, clock, log);
  }
  try {
    const s = JSON.parse(text) as Partial<Record<keyof EmergencyState, unknown>>;
    if (s.stopped === false) return RUNNING;
    if (s.stopped === true && typeof s.since === 'string' && typeof s.by === 'string' && typeof s.reason === 'string') {
      return { stopped: true, since: s.since, by: s.by, reason: s.reason };
    }
    return unreadable(file, 'not an emergency state', clock, log);
  } catch (err) {
    return unreadable(file, (err as Error).message, clock, log);
  }
}

function unreadable(file: string, why: string, clock: Clock, log: Logger): EmergencyState {
  log.error({ code: 'XB_EMERGENCY_STOP', file, why }, 'xborder.emergency_state_unreadable');
  return { stopped: true, since: clock.now().toISOString(), by: 'xborder', reason: `the emergency state file ${file} could not be read (${why}); treated as a stop until an operator resumes` };
}

/** Write-then-rename, file and folder synced: after a crash the file is the old state or the new one. */
function writeState(file: string, state: EmergencyState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify({ ...state, savedBy: VERSION })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    const dir = openSync(dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was created (the folder is not writable or not a folder).
    }
    throw new XbError(
      'XB_ADMIN_STATE_WRITE_FAILED',
      `the emergency state could not be saved to ${file}: ${(err as Error).message}. ${state.stopped ? 'The stop is in force in this process but would not survive a restart' : 'Transfers stay halted'}`,
    );
  }
}
