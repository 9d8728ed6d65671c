/**
 * `xborder report --half 2026H1`: the half-yearly report on data export activity. The zone
 * authorities report every half year on the data leaving their zone (Fujian FTZ measures Art. 17;
 * Jiangsu FTZ measures Art. 16), from what companies report (Jiangsu Art. 12: business scenarios,
 * data catalogue, scale, overseas recipients); the national digest asks the gateway to produce that
 * data for any half-year on demand. Built by summarize() over 1 January–30 June or 1 July–31
 * December, China time, from every chain under the evidence folders, which must verify.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chinaDay, systemClock } from '../clock.js';
import { loadConfig } from '../config/load.js';
import { VERSION } from '../package-root.js';
import { readPeriodRuns, runRecords } from '../record/export.js';
import { renderCsv, renderHtml, renderMarkdown, type ReportMeta } from '../record/report.js';
import { halfYear, summarize } from '../record/summary.js';

const USAGE = 'usage: xborder report --half YYYYH1|YYYYH2 [--config FILE] [--evidence DIR]... [--out DIR]';

/** `xborder report`; Markdown on stdout, or report-<half>.md, .csv, .html and summary-<half>.json in --out. Exit 0, 1 on a refusal, 2 on a usage error. */
export async function reportCommand(args: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { half: { type: 'string' }, config: { type: 'string', short: 'c' }, evidence: { type: 'string', multiple: true }, out: { type: 'string' } },
    }));
  } catch (err) {
    return usage((err as Error).message);
  }
  if (!values.half) return usage('--half is required, e.g. --half 2026H1');
  const period = halfYear(values.half);
  if (!period) return usage(`--half ${values.half}: expected a year and H1 or H2, e.g. 2026H1`);
  const { config } = loadConfig(values.config ?? 'xborder.yaml');
  const dirs = values.evidence && values.evidence.length > 0 ? values.evidence : [config.evidence.dir];
  const now = systemClock.now();
  const summary = summarize(runRecords(readPeriodRuns(dirs, period)), config.filings, period);
  const meta: ReportMeta = { kind: 'half-year', half: values.half, company: config.company.name, regime: config.company.regime, created: now.toISOString(), version: VERSION };
  if (chinaDay(now) <= period.to) process.stderr.write(`note: ${values.half} is not over yet (today is ${chinaDay(now)}, China time): the report covers the records so far\n`);
  if (!values.out) {
    process.stdout.write(renderMarkdown(summary, meta));
    return 0;
  }
  mkdirSync(values.out, { recursive: true, mode: 0o700 });
  const files: [string, string][] = [
    [`report-${values.half}.md`, renderMarkdown(summary, meta)],
    [`report-${values.half}.csv`, renderCsv(summary)],
    [`report-${values.half}.html`, renderHtml(summary, meta)],
    [`summary-${values.half}.json`, `${JSON.stringify(summary, null, 2)}\n`],
  ];
  for (const [name, text] of files) writeFileSync(join(values.out, name), text);
  process.stdout.write(`${files.map(([name]) => join(values.out as string, name)).join('\n')}\n`);
  return 0;
}

function usage(message: string): number {
  process.stderr.write(`xborder report: ${message}\n${USAGE}\n`);
  return 2;
}
