// bench/RESULTS.md is written by the benchmarks themselves: each owns one section, replaced whole
// with the command, the date, the machine and its table (STYLE: results record how they were made).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FILE = join(fileURLToPath(import.meta.url), '..', 'RESULTS.md');
const HEADER = '# Benchmark results\n\nWritten by the benchmarks (`bench/README.md`); each section says the command that produced it.\n';

export function writeSection(title, command, lines) {
  const text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER;
  const start = `<!-- section: ${title} -->`;
  const end = `<!-- /section: ${title} -->`;
  const section = [start, `## ${title}`, '', `Command: \`${command}\` — ${new Date().toISOString().slice(0, 10)}`, '', ...lines, end].join('\n');
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  const next = a >= 0 && b > a ? text.slice(0, a) + section + text.slice(b + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(FILE, next);
}
