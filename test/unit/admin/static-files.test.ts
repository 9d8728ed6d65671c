/** Dashboard files (agent/admin/static-files.ts): only plain names listed in the folder, with their types. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dashboardFile } from '../../../agent/admin/static-files.js';

const root = mkdtempSync(join(tmpdir(), 'xb-dash-'));
const dir = join(root, 'dashboard');
mkdirSync(join(dir, 'sub'), { recursive: true });
writeFileSync(join(dir, 'index.html'), '<!doctype html>');
writeFileSync(join(dir, 'app.js'), 'console.log(1)');
writeFileSync(join(dir, 'style.css'), 'body{}');
writeFileSync(join(dir, 'notes.xyz'), 'x');
writeFileSync(join(dir, '.hidden'), 'secret');
writeFileSync(join(dir, 'sub', 'inner.js'), 'inner');
writeFileSync(join(root, 'secret.txt'), 'outside');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('dashboardFile', () => {
  it('serves the folder’s files with their content types', async () => {
    expect(await dashboardFile(dir, 'index.html')).toEqual({ body: Buffer.from('<!doctype html>'), type: 'text/html; charset=utf-8' });
    expect((await dashboardFile(dir, 'app.js'))?.type).toBe('text/javascript; charset=utf-8');
    expect((await dashboardFile(dir, 'style.css'))?.type).toBe('text/css; charset=utf-8');
    expect((await dashboardFile(dir, 'notes.xyz'))?.type).toBe('application/octet-stream');
  });

  it('serves nothing outside the folder, hidden, in a sub-folder, or missing', async () => {
    for (const name of ['../secret.txt', '..', '.', '.hidden', 'sub', 'sub/inner.js', '%2e%2e%2fsecret.txt', '..\\secret.txt', 'missing.js', '', '/etc/passwd', 'index.html\0'])
      expect(await dashboardFile(dir, name), name).toBeUndefined();
  });

  it('serves nothing when the folder does not exist', async () => {
    expect(await dashboardFile(join(root, 'none'), 'index.html')).toBeUndefined();
  });
});
