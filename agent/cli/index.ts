/**
 * The `xborder` command line. `start [--config FILE]` runs the gateway until SIGINT/SIGTERM
 * (SIGHUP reloads); `policy lint|explain|docs` read the packs; `evidence export|verify` write and
 * check signed evidence bundles and live chains (cli/evidence.ts); `report --half` renders the
 * half-yearly report (cli/report.ts); `fingerprints add|count` register important data
 * (cli/fingerprints.ts); `counts show|rebuild` (cli/counts.ts) and `backfill` (cli/backfill.ts)
 * read and restore the counters.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isXbError } from '../errors.js';
import { startGateway } from '../gateway.js';
import { createLogger } from '../observability/log.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { backfillCommand } from './backfill.js';
import { classifyCommand } from './classify.js';
import { countsCommand } from './counts.js';
import { evidenceCommand } from './evidence.js';
import { fingerprintsCommand } from './fingerprints.js';
import { reportCommand } from './report.js';
import { compilePolicy } from '../policy/compile.js';
import { explainItem, findItem, withItemTable } from '../policy/explain.js';
import { loadPacks } from '../policy/load.js';
import { packJsonSchema } from '../policy/schema.js';

const USAGE = `usage:
  xborder start [--config FILE]        run the gateway (default config: xborder.yaml); SIGHUP reloads
  xborder policy lint [DIR]            validate the packs in DIR (default: the packs shipped with xborder)
  xborder policy explain ITEM [DIR]    print an item as a person reads it, e.g. guangxi-2025/live-commerce#6
  xborder policy docs FILE [DIR]       rewrite FILE's generated item table (docs/policy.md)
  xborder policy schema FILE           write the pack schema as JSON Schema (policy/pack.schema.json)
  xborder classify --route ID [--config FILE] [--type MEDIA-TYPE] [--json] FILE
                                       dry run: what the gateway would find and decide; counts nothing
  xborder counts show [--config FILE] [--year YYYY] [--json]
                                       the year's counters: exact persons, estimates, thresholds, filings
  xborder counts rebuild [--config FILE] [--evidence DIR]... [--year YYYY] [--json]
                                       restore the counters from evidence (default DIR: evidence.dir)
  xborder backfill --route ID [--config FILE] [--date YYYY-MM-DD] FILE...
                                       count persons sent abroad this year before xborder was installed
  xborder evidence export --from YYYY-MM-DD --to YYYY-MM-DD [--filing ID] --out DIR [--config FILE] [--evidence DIR]...
                                       a signed bundle of the period's records, summary and spot-check report
  xborder evidence verify DIR [--public-key FILE]
                                       verify a bundle (signature, files, chains, summary) or every chain under DIR
  xborder report --half YYYYH1|YYYYH2 [--config FILE] [--evidence DIR]... [--out DIR]
                                       the half-yearly report on data export activity (Markdown, or md+csv+html in DIR)
  xborder fingerprints add FILE [--config FILE]
                                       register the values in FILE (one a line) as important data
  xborder fingerprints count [--config FILE]
                                       how many values are registered`;

const SHIPPED_PACKS = join(PACKAGE_ROOT, 'policy', 'packs');

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'start') return start(rest);
  if (command === 'evidence') return evidenceCommand(rest).catch((err: unknown) => failed(err));
  if (command === 'report') return reportCommand(rest).catch((err: unknown) => failed(err));
  if (command === 'policy') return policy(rest);
  if (command === 'classify') return classifyCommand(rest).catch((err: unknown) => failed(err));
  if (command === 'fingerprints') return fingerprintsCommand(rest).catch((err: unknown) => failed(err));
  if (command === 'counts') return countsCommand(rest).catch((err: unknown) => failed(err));
  if (command === 'backfill') return backfillCommand(rest).catch((err: unknown) => failed(err));
  if (command === '--help' || command === '-h' || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  process.stderr.write(`xborder: unknown command ${command}\n${USAGE}\n`);
  return 2;
}

async function start(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { config: { type: 'string', short: 'c' } } });
  const log = createLogger();
  let gateway;
  try {
    gateway = await startGateway({ configFile: values.config ?? 'xborder.yaml', log });
  } catch (err) {
    if (isXbError(err)) {
      log.fatal({ code: err.code }, err.message);
      process.stderr.write(`xborder: ${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  // SIGHUP: reload config and policy; a broken one is refused and the running one kept.
  const onHup = () => gateway.reload().catch((err: unknown) => log.warn({ code: (err as { code?: string }).code }, 'xborder.reload_refused'));
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'xborder.stopping');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.off('SIGHUP', onHup);
  await gateway.close();
  log.info('xborder.stopped');
  return 0;
}

function policy(args: readonly string[]): number {
  const [sub, ...rest] = args;
  try {
    if (sub === 'lint') {
      const packs = loadPacks(rest[0] ?? SHIPPED_PACKS);
      const compiled = compilePolicy(packs);
      const items = packs.flatMap((p) => (p.domains ?? []).flatMap((d) => d.items)).length;
      process.stdout.write(`ok: ${packs.length} packs, ${compiled.domains.size} domains, ${items} items; policy revision ${compiled.revision}\n`);
      return 0;
    }
    if (sub === 'explain' && rest[0]) {
      process.stdout.write(`${explainItem(findItem(loadPacks(rest[1] ?? SHIPPED_PACKS), rest[0]))}\n`);
      return 0;
    }
    if (sub === 'schema' && rest[0]) {
      writeFileSync(rest[0], packJsonSchema());
      process.stdout.write(`${rest[0]}: pack schema written\n`);
      return 0;
    }
    if (sub === 'docs' && rest[0]) {
      const file = rest[0];
      writeFileSync(file, withItemTable(readFileSync(file, 'utf8'), loadPacks(rest[1] ?? SHIPPED_PACKS)));
      process.stdout.write(`${file}: item table rewritten\n`);
      return 0;
    }
  } catch (err) {
    return failed(err);
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

/** A CLI failure with a code is a message and exit 1; anything else is a fault for main(). */
function failed(err: unknown): number {
  if (!isXbError(err)) throw err;
  process.stderr.write(`${err.code}: ${err.message}\n`);
  return 1;
}
