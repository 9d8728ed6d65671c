/**
 * The `xborder` command line. `start [--config FILE]` runs the gateway until SIGINT/SIGTERM;
 * `evidence verify DIR` checks every chain under DIR. Other commands of DESIGN's contract arrive
 * with their issues and say so when called.
 */
import { parseArgs } from 'node:util';
import { isXbError } from '../errors.js';
import { startGateway } from '../gateway.js';
import { createLogger } from '../observability/log.js';
import { verifyEvidence } from '../record/index.js';

const USAGE = `usage:
  xborder start [--config FILE]        run the gateway (default config: xborder.yaml)
  xborder evidence verify DIR          verify every evidence chain under DIR`;

const PLANNED = new Set(['policy', 'classify', 'counts', 'backfill', 'report']);

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'start') return start(rest);
  if (command === 'evidence' && rest[0] === 'verify') return verify(rest.slice(1));
  if (command === '--help' || command === '-h' || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command && PLANNED.has(command)) {
    process.stderr.write(`xborder ${command}: not available in this version yet\n${USAGE}\n`);
    return 2;
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
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'xborder.stopping');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await gateway.close();
  log.info('xborder.stopped');
  return 0;
}

function verify(args: readonly string[]): number {
  const dir = args[0];
  if (!dir) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const report = verifyEvidence(dir);
  for (const c of report.chains) {
    const state = c.errors.length === 0 ? 'ok' : 'BROKEN';
    process.stdout.write(`${c.gatewayId}: ${state}, ${c.records} records, head seq ${c.headSeq} ${c.headHash.slice(0, 16)}…\n`);
    for (const e of c.errors) process.stdout.write(`  ${e}\n`);
  }
  if (report.chains.length === 0) process.stdout.write(`no evidence chains under ${dir}\n`);
  return report.ok ? 0 : 1;
}
