/**
 * Load for end-to-end tests: a bounded pool of concurrent clients over undici `request`, a seeded
 * PRNG (the same batches on every run), gateway processes started from a written config and
 * stopped by PID, and the person keys the gateway would compute for a shipper's phone.
 * Never: retry a request, or loop without a bound in count and in time.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { loadConfig } from '../../agent/config/load.js';
import { openStore, type Store } from '../../agent/count/store/index.js';
import { personKey } from '../../agent/identify/key.js';
import { REPO } from './gateway.js';
import { BIN, startProcess, type GatewayProcess } from './process.js';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON when it is JSON, else undefined. */
  readonly json: any;
}

/** POST `body` as JSON with undici; never retried. `timeoutMs` (default 30 s) bounds headers and body. */
export async function postJson(url: string, body: unknown, timeoutMs = 30_000): Promise<Answer> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await res.body.text();
  const type = String(res.headers['content-type'] ?? '');
  return { status: res.statusCode, headers: res.headers, json: type.includes('json') && text ? JSON.parse(text) : undefined };
}

/**
 * Run `job(0)` … `job(total - 1)`, at most `concurrency` at a time; results by index. Every job
 * runs to its end even when one fails, then the first failure is thrown (no request left behind).
 */
export async function pool<T>(total: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(total);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      try {
        results[i] = await job(i);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  if (errors.length > 0) throw errors[0];
  return results;
}

/** mulberry32: a small seeded PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The key identify/ gives a subject whose strongest identifier is this mobile number (already normalized). */
export const phoneKey = (identityKey: Buffer, phone: string): Buffer => personKey(identityKey, 'phone', phone);

export interface RunningGateway {
  readonly id: string;
  readonly configFile: string;
  readonly proc: GatewayProcess;
  readonly dataUrl: string;
  readonly adminUrl: string;
  /** SIGTERM, then SIGKILL after `ms` (default 15 s); resolves once the process has exited. */
  stop(ms?: number): Promise<void>;
}

/**
 * Write `config` to `<dir>/<gatewayId>.yaml` and start `bin/xborder.js start` on it as its own
 * process; resolves once it logged `xborder.started` (its bound URLs).
 */
export async function startGatewayProcess(dir: string, config: Record<string, unknown> & { gatewayId: string }): Promise<RunningGateway> {
  const configFile = join(dir, `${config.gatewayId}.yaml`);
  writeFileSync(configFile, stringify(config));
  const proc = startProcess(configFile, dir, { ...process.env, XB_HMAC_KEY: '', XB_ADMIN_TOKEN: '' });
  let started: string;
  try {
    started = await proc.line('"xborder.started"', 30_000);
  } catch (err) {
    await stopChild(proc, 5_000);
    throw err;
  }
  const { dataUrl, adminUrl } = JSON.parse(started) as { dataUrl: string; adminUrl: string };
  return { id: config.gatewayId, configFile, proc, dataUrl, adminUrl, stop: (ms) => stopChild(proc, ms) };
}

async function stopChild(proc: GatewayProcess, ms = 15_000): Promise<void> {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid as number;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // Already gone: `exited` resolves.
    }
  };
  signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  if ((await Promise.race([proc.exited, late])) === 'late') {
    signal('SIGKILL');
    await proc.exited;
  }
  clearTimeout(timer);
}

/** Open the counter store a gateway config file names, as the gateway opens it. */
export const openConfiguredStore = (configFile: string): Promise<Store> => openStore(loadConfig(configFile).config.store);

/** Run `node bin/xborder.js ...args` to its end (at most `ms`, default 120 s). */
export function xborder(args: readonly string[], cwd: string, ms = 120_000): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: ms, env: { ...process.env, XB_HMAC_KEY: '', XB_ADMIN_TOKEN: '' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The packs shipped in the repo (the gateway configs' policy.dir). */
export const PACKS = join(REPO, 'policy', 'packs');
