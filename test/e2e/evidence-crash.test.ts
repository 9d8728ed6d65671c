/**
 * Kill -9 the gateway while it writes evidence under load (issue 7's acceptance): a gateway
 * process (bin/xborder.js) on a small segmentBytes so the chain rotates many times, a recording
 * upstream, bounded concurrent load; the process is SIGKILLed mid-load and restarted on the same
 * data folder, a few times. Each restart recovers the chain (cutting a torn tail if the kill left
 * one: a kill cannot, so once the test leaves the start of a frame at the end, as a power loss
 * would); at the end `xborder evidence verify` passes and every request the upstream received (by
 * its x-xborder-transfer-id) has its TRANSFER record in the chain. Once with fsync `always`, once
 * with `interval` (a process crash loses nothing written to the OS).
 */
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRecords } from '../../agent/record/read.js';
import { listSegments } from '../../agent/record/segments.js';
import { verifyEvidence } from '../../agent/record/verify.js';
import { REPO, deliveryRoute } from '../helpers/gateway.js';
import { PACKS, pool, postJson, startGatewayProcess, xborder, type RunningGateway } from '../helpers/load.js';
import { batchBody } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const GATEWAY = 'gw-crash';
/** Kills per fsync mode: each one a restart that must recover the chain. */
const KILLS = 3;
/** Requests offered per round (the kill cuts them short), and at most this many in flight. */
const PER_ROUND = 400;
const CONCURRENCY = 16;
/** The kill comes once the upstream received this many more requests in the round. */
const KILL_AFTER = 30;

describe('kill -9 under load', () => {
  let dir: string;
  let upstream: Upstream;
  let running: RunningGateway | undefined;

  beforeEach(async () => {
    if (!existsSync(join(REPO, 'dist', 'agent', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
    dir = mkdtempSync(join(tmpdir(), 'xb-crash-'));
    upstream = await startUpstream();
  });
  afterEach(async () => {
    await running?.stop(5_000);
    running = undefined;
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const fsync of ['always', 'interval'] as const) {
    it(`fsync ${fsync}: after each restart the chain verifies and every transfer the upstream received has its record`, async () => {
      const config = {
        company: { name: 'Crash Test Co.', regime: 'guangxi' },
        gatewayId: GATEWAY,
        dataDir: join(dir, 'data'),
        listen: { data: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
        policy: { dir: PACKS },
        // The smallest segment the schema allows: the chain rotates every few records.
        evidence: { fsync, fsyncIntervalMs: 200, segmentBytes: 4096 },
        routes: [deliveryRoute('sg-logistics', upstream.url)],
      };
      const evidenceDir = join(dir, 'data', 'evidence');
      let batch = 0;
      let torn = false;

      for (let round = 0; round < KILLS; round++) {
        const gw = await startGatewayProcess(dir, config);
        running = gw;
        if (torn) expect(gw.proc.output()).toContain('"xborder.evidence_torn_tail_cut"');
        const before = upstream.received.length;
        let killed = false;
        // Requests cut off by the kill fail (reset or refused): expected, never retried.
        const load = pool(PER_ROUND, CONCURRENCY, async () => {
          if (killed) return undefined;
          const id = batch++;
          const shippers = Array.from({ length: 5 }, (_, i) => (id * 5 + i) % 20_000);
          return postJson(`${gw.dataUrl}/sg-logistics/v1/shipments?batch=${id}`, batchBody({ id: `b${id}`, shippers }), 10_000).catch(() => undefined);
        });
        await gw.proc.waitFor(() => (upstream.received.length >= before + KILL_AFTER ? true : undefined), 60_000);
        process.kill(gw.proc.child.pid as number, 'SIGKILL');
        killed = true;
        await gw.proc.exited;
        await load;
        expect(gw.proc.child.signalCode).toBe('SIGKILL');
        // A kill never tears a write (the kernel finishes it); a power loss can. Once, leave the
        // start of a frame at the end of the last segment, as one would: the restart must cut it.
        torn = round === 0;
        if (torn) appendFileSync(listSegments(join(evidenceDir, GATEWAY)).at(-1) as string, Buffer.from([0xc8, 0x01, 0x0a, 0x4e, 0x08]));
      }

      // The last restart recovers the chain and runs; then a clean stop.
      const last = await startGatewayProcess(dir, config);
      running = last;
      const res = await postJson(`${last.dataUrl}/sg-logistics/v1/shipments?batch=final`, batchBody({ id: 'final', shippers: [19_999] }));
      expect(res.status).toBe(201);
      await last.stop();
      running = undefined;

      const cli = xborder(['evidence', 'verify', evidenceDir], dir);
      expect(cli.status, `${cli.stdout}${cli.stderr}`).toBe(0);
      const report = verifyEvidence(evidenceDir);
      expect(report.ok, report.chains.flatMap((c) => c.errors).join('\n')).toBe(true);
      expect(listSegments(join(evidenceDir, GATEWAY)).length).toBeGreaterThan(KILLS);

      const transfers = new Set<string>();
      const kinds = new Map<string, number>();
      for (const { record } of readRecords(evidenceDir)) {
        kinds.set(record.kind, (kinds.get(record.kind) ?? 0) + 1);
        if (record.kind === 'TRANSFER') transfers.add(record.transferId);
      }
      expect(kinds.get('START')).toBe(KILLS + 1);
      expect(kinds.get('STOP')).toBe(1);

      expect(upstream.received.length).toBeGreaterThan(KILLS * KILL_AFTER);
      const missing = upstream.received.map((r) => String(r.headers['x-xborder-transfer-id'] ?? '(no header)')).filter((id) => !transfers.has(id));
      expect(missing).toEqual([]);
    });
  }
});
