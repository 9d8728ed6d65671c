import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadUpstreamSettings, type UpstreamSettingsInput } from '../../../agent/forward/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'xb-fwd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base: UpstreamSettingsInput = {
  upstreamTls: undefined,
  timeouts: { connectMs: 1000, headersMs: 2000, bodyMs: 3000 },
  pool: { connections: 4, keepAliveTimeoutMs: 4000 },
  retries: 1,
  forwardedHeaders: 'strip',
};

describe('loadUpstreamSettings', () => {
  it('gives the same key to the same settings and another to other pool or timeout values', () => {
    const a = loadUpstreamSettings(base);
    const b = loadUpstreamSettings({ ...base });
    const c = loadUpstreamSettings({ ...base, pool: { connections: 5, keepAliveTimeoutMs: 4000 } });
    const d = loadUpstreamSettings({ ...base, timeouts: { ...base.timeouts, headersMs: 1 } });
    if (!('settings' in a && 'settings' in b && 'settings' in c && 'settings' in d)) throw new Error('expected settings');
    expect(a.settings.key).toBe(b.settings.key);
    expect(new Set([a.settings.key, c.settings.key, d.settings.key]).size).toBe(3);
    expect(a.settings.tls).toBeUndefined();
  });

  it('keys TLS by file content, so a renewed file at the same path gets a new pool', () => {
    const key = join(dir, 'k.pem');
    writeFileSync(key, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const first = loadUpstreamSettings({ ...base, upstreamTls: { key } });
    writeFileSync(key, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const second = loadUpstreamSettings({ ...base, upstreamTls: { key } });
    if (!('settings' in first && 'settings' in second)) throw new Error('expected settings');
    expect(first.settings.key).not.toBe(second.settings.key);
    expect(first.settings.tls?.key).toBeInstanceOf(Buffer);
  });

  it('names the key of an unreadable or malformed file, never quoting its bytes', () => {
    expect(loadUpstreamSettings({ ...base, upstreamTls: { cert: join(dir, 'missing.pem') } })).toEqual({
      issue: { key: ['upstreamTls', 'cert'], message: `${join(dir, 'missing.pem')} cannot be read: ENOENT` },
    });
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'SECRET-BYTES-NOT-A-KEY');
    const bad = loadUpstreamSettings({ ...base, upstreamTls: { key: junk } });
    expect('issue' in bad && bad.issue.key).toEqual(['upstreamTls', 'key']);
    expect(JSON.stringify(bad)).not.toContain('SECRET-BYTES');
  });
});
