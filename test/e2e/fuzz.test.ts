/**
 * A small fuzz run in the suite (bench/fuzz.mjs is the 100,000-input one): a few thousand random
 * and mutated bodies (bench/fuzz-inputs.mjs: corpus and valid seeds with bit flips, truncation,
 * splices, hostile tokens, encodings, content-type swaps) through the data plane of a real
 * gateway. No 5xx, no XB_INTERNAL; every 4xx is a problem body with a code; the upstream receives
 * exactly the transfers answered 201 (nothing refused leaks); the gateway still answers a valid
 * transfer afterwards.
 */
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_ROUTES, fuzzInputs } from '../../bench/fuzz-inputs.mjs';
import type { Gateway } from '../../agent/gateway.js';
import { REPO, testEnv, type TestEnv } from '../helpers/gateway.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const INPUTS = 3_000;
const IN_FLIGHT = 8;
const ROUTE = { recipient: { name: 'Example Logistics Pte. Ltd.', country: 'SG' }, domain: 'guangxi-2025/live-commerce', scenario: 'cross-border-delivery' };

describe('fuzz: random and mutated bodies through the data plane', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway;
  const agent = new Agent({ connections: IN_FLIGHT });

  beforeAll(async () => {
    env = testEnv();
    upstream = await startUpstream();
    gw = await env.start({
      limits: { memoryBytes: 256 * 1024, bodyBytes: 1024 * 1024, decompressedBytes: 4 * 1024 * 1024 },
      routes: FUZZ_ROUTES.map((r) => ({ ...ROUTE, ...r, upstream: upstream.url })),
    });
  });
  afterAll(async () => {
    await agent.close();
    await gw?.close();
    await upstream?.close();
    env?.cleanup();
  });

  it(`${INPUTS} inputs: no 5xx, problem bodies with codes, nothing refused forwarded`, async () => {
    const inputs = fuzzInputs({ seed: 20260509, corpusDir: join(REPO, 'test', 'fixtures', 'corpus', 'files') });
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    let created = 0;
    let sent = 0;
    const worker = async () => {
      while (sent < INPUTS) {
        const i = sent++;
        const input = inputs.next();
        const res = await request(`${gw.dataUrl}/${input.route}/fuzz`, { method: 'POST', headers: input.headers, body: input.body, dispatcher: agent });
        const text = await res.body.text();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode === 201) created++;
        else if (res.statusCode >= 500) bad.push(`#${i} ${input.kind} → ${res.statusCode} ${text.slice(0, 200)}`);
        else if (res.statusCode >= 400 && !/^\{"type":"urn:xborder:problem:XB_[A-Z_]+"/.test(text)) bad.push(`#${i} ${input.kind} → ${res.statusCode} without a problem body`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    expect(bad, bad.slice(0, 5).join('\n')).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(INPUTS);
    // Both sides were exercised: some inputs were refused, some inspected and forwarded.
    expect(created).toBeGreaterThan(INPUTS / 20);
    expect(INPUTS - created).toBeGreaterThan(INPUTS / 5);
    expect(upstream.received.length).toBe(created);
    expect(env.logLines.some((l) => l.includes('XB_INTERNAL'))).toBe(false);

    const after = await fetch(`${gw.dataUrl}/flat/after`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderNo":"after-fuzz"}' });
    expect(after.status).toBe(201);
  });
});
