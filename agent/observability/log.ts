/**
 * Logging: pino JSON to stdout. One canonical `xborder.decision` line per transfer (decision-line.ts);
 * counts and names only, never values. `redact` is a backstop, not the mechanism.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string = process.env['XB_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'xborder' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.value', 'value'], censor: '[redacted]' },
  });
}
