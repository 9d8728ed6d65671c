/**
 * A volume indicator counts the whole body, not one batch of it: a spooled CSV of 10,000 precise
 * locations inside China is inspected in batches of 2,000, none of which reaches the Guangxi
 * geo-meteo item 1 volume (10,000, for review) alone, and the transfer is still flagged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../agent/gateway.js';
import { decisionLines, testEnv, type TestEnv } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('a volume indicator over a spooled body', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway;

  beforeAll(async () => {
    env = testEnv();
    upstream = await startUpstream();
    gw = await env.start({
      limits: { memoryBytes: 1024 },
      routes: [
        { id: 'survey', upstream: upstream.url, recipient: { name: 'Mapping Partner Ltd', country: 'SG' }, domain: 'guangxi-2025/geo-meteo', scenario: 'data-service' },
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    env?.cleanup();
  });

  const csv = (rows: number) =>
    ['site,latitude,longitude', ...Array.from({ length: rows }, (_, i) => `S${i},22.${String(81712 + i).padStart(5, '0')},108.36615`)].join('\n');
  const send = (rows: number) => fetch(`${gw.dataUrl}/survey/points`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv(rows) });

  it('flags 10,000 points for review, counted across batches, and lets 9,999 pass unflagged', async () => {
    const below = await send(9_999);
    expect(below.status).toBe(201);
    expect(below.headers.get('x-xborder-decision')).not.toBe('flag');
    const at = await send(10_000);
    expect(at.status).toBe(201);
    expect(at.headers.get('x-xborder-decision')).toBe('flag');
    const line = decisionLines(env.logLines).find((l) => l['transferId'] === at.headers.get('x-xborder-transfer-id'));
    expect(line).toMatchObject({ reason: 'important-data-review' });
    expect((line?.['rules'] as string[]).some((r) => r.startsWith('guangxi-2025/geo-meteo#1'))).toBe(true);
  });
});
