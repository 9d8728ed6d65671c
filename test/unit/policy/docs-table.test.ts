/** docs/policy.md's item table is generated from the packs; this keeps the two from drifting. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../agent/package-root.js';
import { itemTable, withItemTable } from '../../../agent/policy/explain.js';
import { loadPacks } from '../../../agent/policy/load.js';
import { packJsonSchema } from '../../../agent/policy/schema.js';
import { PACKS_DIR } from '../support/policy.js';

describe('docs/policy.md', () => {
  const packs = loadPacks(PACKS_DIR);
  const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'policy.md'), 'utf8');

  it('holds the item table of the shipped packs as generated (run `npm run docs:policy` after changing a pack)', () => {
    expect(withItemTable(doc, packs)).toBe(doc);
  });

  it('lists every item of every list pack, one row each', () => {
    const items = packs.flatMap((p) => (p.list ? (p.domains ?? []).flatMap((d) => d.items.map((i) => `\`${p.list?.id}/${d.id}#${i.number}\``)) : []));
    const rows = itemTable(packs).split('\n').slice(2);
    expect(rows).toHaveLength(items.length);
    for (const ref of items) expect(doc).toContain(`| ${ref} |`);
  });
});

describe('policy/pack.schema.json', () => {
  it('is the pack schema as generated (run `npm run docs:policy` after changing agent/policy/schema.ts)', () => {
    expect(readFileSync(join(PACKAGE_ROOT, 'policy', 'pack.schema.json'), 'utf8')).toBe(packJsonSchema());
  });
});

describe('the shipped list packs', () => {
  it('each say when the list took effect, and where it comes from', () => {
    for (const p of loadPacks(PACKS_DIR).filter((x) => x.kind === 'list')) {
      expect(p.list?.effective, p.file).toMatch(/^(\d{4}-\d{2}-\d{2}|on-publication)$/);
      expect(p.list?.source.document, p.file).toBeTruthy();
    }
  });
});
