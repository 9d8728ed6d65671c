/** The identity key and admin token sources: file, environment, or generated once (0600). */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadIdentityKey, readSecret } from '../../../agent/identify/key.js';

describe('secrets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'xb-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates the key once, owner-only, and reads the same one afterwards, leaving no temp file', () => {
    const src = { generatedFile: join(dir, 'data', 'hmac.key') };
    const first = loadIdentityKey(src);
    expect(statSync(src.generatedFile).mode & 0o777).toBe(0o600);
    expect(loadIdentityKey(src).fingerprint).toBe(first.fingerprint);
    expect(readdirSync(join(dir, 'data'))).toEqual(['hmac.key']);
  });

  it('prefers the file, then the environment variable, then the generated file', () => {
    const file = join(dir, 'key');
    writeFileSync(file, 'ab'.repeat(32));
    process.env['XB_TEST_KEY'] = 'cd'.repeat(32);
    try {
      expect(loadIdentityKey({ file, env: 'XB_TEST_KEY', generatedFile: join(dir, 'g') }).source).toBe(file);
      expect(loadIdentityKey({ env: 'XB_TEST_KEY', generatedFile: join(dir, 'g') }).source).toBe('$XB_TEST_KEY');
    } finally {
      delete process.env['XB_TEST_KEY'];
    }
  });

  it('refuses an empty secret file instead of using an empty token', () => {
    writeFileSync(join(dir, 'admin.token'), '\n');
    expect(() => readSecret({ generatedFile: join(dir, 'admin.token') }, 'admin token', () => 'x')).toThrow(expect.objectContaining({ code: 'XB_KEY_INVALID' }));
  });

  it('refuses a key shorter than 32 bytes', () => {
    const file = join(dir, 'short');
    writeFileSync(file, 'ab'.repeat(16));
    expect(() => loadIdentityKey({ file, generatedFile: join(dir, 'g') })).toThrow(/at least 32/);
  });
});
