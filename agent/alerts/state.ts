/**
 * The alerter's memory across restarts, one small JSON file per gateway
 * (`<dataDir>/alerts/<gatewayId>.json`, mode 0600): the keys already fired, the sends still
 * pending, and when each store-failure code last alerted. Written whole to a private temp file,
 * fsynced, then renamed over the old one, so a crash leaves the old state or the new, never half.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Alert, PendingSend } from './types.js';

export interface AlertState {
  /** Once-only key → ISO time it fired (or was subsumed by a higher level). */
  readonly fired: Map<string, string>;
  readonly pending: PendingSend[];
  /** Store-failure error code → epoch ms of its last alert (the rate limit). */
  readonly storeFailures: Map<string, number>;
}

interface StateFileV1 {
  readonly version: 1;
  readonly fired: Record<string, string>;
  readonly pending: readonly { alert: Alert; sink: string; attempts: number; nextAt: number }[];
  readonly storeFailures: Record<string, number>;
}

/** Fired keys older than this are forgotten: every key names a year or an expiry date already past by then. */
const FORGET_AFTER_MS = 400 * 86_400_000;

export const emptyState = (): AlertState => ({ fired: new Map(), pending: [], storeFailures: new Map() });

/**
 * Read the state file; none yet is an empty state. A file that does not parse is moved aside
 * (`.corrupt-<ms>`) and reported through `onCorrupt`: starting empty may repeat alerts, which is
 * better than a gateway that will not start over its alert memory.
 */
export function loadState(file: string, nowMs: number, onCorrupt: (movedTo: string, reason: string) => void): AlertState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw err;
  }
  try {
    const raw = JSON.parse(text) as StateFileV1;
    if (raw.version !== 1 || typeof raw.fired !== 'object' || !Array.isArray(raw.pending)) throw new Error('not an alert state, version 1');
    const fired = new Map(Object.entries(raw.fired).filter(([, at]) => nowMs - Date.parse(at) < FORGET_AFTER_MS));
    const pending = raw.pending.filter((p) => p && typeof p.sink === 'string' && p.alert && typeof p.alert.id === 'string').map((p) => ({ ...p }));
    return { fired, pending, storeFailures: new Map(Object.entries(raw.storeFailures ?? {})) };
  } catch (err) {
    const movedTo = `${file}.corrupt-${nowMs}`;
    renameSync(file, movedTo);
    onCorrupt(movedTo, (err as Error).message);
    return emptyState();
  }
}

/** Write the whole state atomically: temp file (0600, exclusive) → fsync → rename → fsync the folder. */
export async function saveState(file: string, state: AlertState): Promise<void> {
  const body: StateFileV1 = {
    version: 1,
    fired: Object.fromEntries(state.fired),
    pending: state.pending.map((p) => ({ alert: p.alert, sink: p.sink, attempts: p.attempts, nextAt: p.nextAt })),
    storeFailures: Object.fromEntries(state.storeFailures),
  };
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(body)}\n`);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  // The rename itself is durable only once the folder is synced.
  const d = await open(dir, 'r').catch(() => undefined);
  await d?.sync().catch(() => undefined);
  await d?.close();
}
