/**
 * `xborder backfill --route ID FILE…`: persons already sent abroad this year before xborder was
 * installed. They count toward the year's thresholds like live traffic (the thresholds count
 * persons 自当年1月1日起累计, Guangxi 2025 list items 4-7), so each file is inspected by the same stages as
 * the data plane (pipeline.ts `inspect`, mode `backfill`) and counted, but never refused: the data
 * already left. Each file becomes one BACKFILL evidence record in its own chain,
 * `<gatewayId>-backfill` (a running gateway holds the lock on its own chain). Thresholds the counts
 * now stand in that no filing covers are printed: the company needs those filings now.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { chinaDay, chinaYear, systemClock } from '../clock.js';
import { loadConfig } from '../config/load.js';
import { openStore } from '../count/store/index.js';
import { CountedYears } from '../count/years.js';
import { XbError } from '../errors.js';
import { loadFingerprints } from '../gateway.js';
import { loadIdentityKey } from '../identify/key.js';
import { VERSION } from '../package-root.js';
import { inspect } from '../pipeline.js';
import { compilePolicy } from '../policy/compile.js';
import { loadPacks } from '../policy/load.js';
import { buildSnapshot, type RouteRuntime } from '../policy/snapshot.js';
import { openEvidenceLog, recordTransfer } from '../record/index.js';
import { hasCountedPersons } from '../record/read.js';
import type { Body, Citation, Decision } from '../types.js';
import { BY_EXTENSION } from './file-types.js';

const USAGE = 'usage: xborder backfill --route ID [--config FILE] [--date YYYY-MM-DD] FILE…';

/** The backfill chain of a gateway: its own, so backfilling never waits for the gateway's lock. */
export const backfillChain = (gatewayId: string): string => `${gatewayId}-backfill`;

/** `xborder backfill`; exit 0, 1 when a file could not be read or inspected (the others are counted), 2 on a usage error. */
export async function backfillCommand(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], allowPositionals: true, options: { route: { type: 'string' }, config: { type: 'string', short: 'c' }, date: { type: 'string' } } });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals: files } = parsed;
  if (!values.route || files.length === 0) return usage(undefined);
  const realNow = systemClock.now();
  const today = chinaDay(realNow);
  let now = realNow;
  if (values.date !== undefined && values.date !== today) {
    const at = new Date(`${values.date}T00:00:00+08:00`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.date) || Number.isNaN(at.getTime()) || chinaDay(at) !== values.date) return usage(`--date ${values.date}: expected a calendar day, YYYY-MM-DD`);
    // The data already left: a day that has not come yet is a mistake, and would count into a year not begun.
    if (values.date > today) return usage(`--date ${values.date} is in the future (today is ${today}, China time): backfill records transfers that already happened`);
    now = at;
  }
  const year = chinaYear(now);

  const loaded = loadConfig(values.config ?? 'xborder.yaml');
  const { config } = loaded;
  const policy = compilePolicy(loadPacks(config.policy.dir));
  if (!config.routes.some((r) => r.id === values.route))
    throw new XbError('XB_ROUTE_NOT_FOUND', `no route ${values.route}; configured: ${config.routes.map((r) => r.id).join(', ')}`);
  // As at a gateway's first start, the key is generated when none is configured yet.
  const identity = loadIdentityKey(config.identity.key);
  const store = await openStore(config.store);
  let failures = 0;
  try {
    await store.checkKeyFingerprint(year, identity.fingerprint);
    // A store that lost a year the evidence has counts for must be rebuilt first: counting these
    // persons into it would pin the year again and let gateways resume on partial counts.
    const countedYears = new CountedYears();
    if ((await store.keyFingerprint(year)) !== undefined || hasCountedPersons(config.evidence.dir, year)) countedYears.add(year);
    const snapshot = buildSnapshot(loaded, policy, await loadFingerprints(store, identity.key));
    const route = snapshot.routes.get(values.route) as RouteRuntime;
    const gatewayId = backfillChain(config.gatewayId);
    const evidence = await openEvidenceLog({
      dir: config.evidence.dir,
      gatewayId,
      fsync: 'always',
      fsyncIntervalMs: config.evidence.fsyncIntervalMs,
      segmentBytes: config.evidence.segmentBytes,
      retentionYears: config.evidence.retentionYears,
    });
    const lifecycle = { policyRevision: snapshot.policy.revision, version: VERSION };
    try {
      // The START names the key the following records' persons were keyed with (counts rebuild checks it).
      await evidence.append({ kind: 'START', timeMs: realNow.getTime(), lifecycle: { ...lifecycle, detail: `backfill ${config.file}`, keyFingerprint: identity.fingerprint } });
      const deps = { store, identity, log: pino({ level: 'silent' }), bodyBytes: config.limits.bodyBytes, countedYears };
      for (const file of files) {
        let body: Body;
        try {
          body = await bodyOf(file, config.limits.memoryBytes);
        } catch (err) {
          failures++;
          process.stderr.write(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing counted for it\n`);
          continue;
        }
        const transferId = randomUUID();
        const r = await inspect(body, route, snapshot, deps, transferId, now, 'backfill');
        if (r.failure || !r.counted) {
          failures++;
          process.stderr.write(`${file}: cannot be inspected on route ${route.id}: ${r.failure?.code ?? 'XB_INTERNAL'}: ${r.failure?.message ?? 'not counted'}; nothing counted for it\n`);
          continue;
        }
        const counted = r.counted;
        const decision = alreadySent(r.decision);
        const appended = evidence.head().seq + 1;
        await recordTransfer(evidence, {
          kind: 'BACKFILL',
          transferId,
          timeMs: now.getTime(),
          route: { id: route.id, recipient: route.recipient, regime: route.domain.regime, list: route.domain.list, domain: route.domain.id, scenario: route.scenario },
          subjects: r.subjects,
          counted,
          decision,
          policyRevision: snapshot.policy.revision,
          bodySha256: body.spooled?.sha256 ?? createHash('sha256').update(body.bytes).digest(),
          bodySize: body.spooled?.size ?? body.bytes.length,
          errorCode: undefined,
        });
        const out = [
          `${file}: ${r.subjects?.recordCount ?? 0} records, ${counted.persons.length} distinct persons, counted in ${counted.year} (BACKFILL seq ${appended} in ${gatewayId})`,
          ...counted.counters.map((c) => `  ${c.counter}: ${c.persons.length} found, ${c.added} new → ${c.after}`),
          ...decision.rules.filter((c) => c.filing === undefined).map((c) => `  already past ${pastWhat(c)}: needs ${c.obligation} (${c.citation})`),
        ];
        process.stdout.write(`${out.join('\n')}\n`);
      }
    } finally {
      await evidence.append({ kind: 'STOP', timeMs: systemClock.now().getTime(), lifecycle }).catch(() => undefined);
      await evidence.close();
    }
  } finally {
    await store.close();
  }
  return failures > 0 ? 1 : 0;
}

function usage(problem: string | undefined): number {
  process.stderr.write(`${problem ? `xborder backfill: ${problem}\n` : ''}${USAGE}\n`);
  return 2;
}

/**
 * The decision as recorded: nothing was refused (the data already left), so a block becomes a flag
 * that says enforcement would have blocked; the rules that fired are kept for the DPO.
 */
const alreadySent = (d: Decision): Decision => (d.kind === 'block' ? { ...d, kind: 'flag', enforceWouldBlock: true } : d);

const pastWhat = (c: Citation): string => (c.counter ? `${c.threshold} on ${c.counter}` : `important data (${c.threshold})`);

/**
 * A file as a request body: in memory up to `memoryBytes`, else read in place as a spooled body
 * (the streaming formats then parse in bounded memory, as on the data plane).
 */
async function bodyOf(file: string, memoryBytes: number): Promise<Body> {
  const gz = extname(file).toLowerCase() === '.gz';
  const contentType = BY_EXTENSION[extname(gz ? basename(file, extname(file)) : file).toLowerCase()];
  const contentEncoding = gz ? 'gzip' : undefined;
  const size = statSync(file).size;
  if (size <= memoryBytes) return { bytes: readFileSync(file), contentType, contentEncoding };
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { bytes: Buffer.alloc(0), contentType, contentEncoding, spooled: { file, size, sha256: hash.digest() } };
}
