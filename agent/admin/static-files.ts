/**
 * The dashboard's files (`agent/admin/dashboard/`: index.html, app.js, style.css, whatever is
 * there), served at `/dashboard/<name>` behind the admin token. A name is served only if it is a
 * plain file name (no slash, no leading dot) listed in that folder right now: no path from the
 * request ever reaches the file system, so no traversal is possible.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

/** Where the dashboard's files are (beside this module in the source tree; tsc does not copy them). */
export const DASHBOARD_DIR = join(PACKAGE_ROOT, 'agent', 'admin', 'dashboard');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A file of `dir` by its plain name, with its content type; undefined when there is no such file. */
export async function dashboardFile(dir: string, name: string): Promise<{ body: Buffer; type: string } | undefined> {
  if (!PLAIN_NAME.test(name)) return undefined;
  let listed;
  try {
    listed = await readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const entry = listed.find((e) => e.name === name && e.isFile());
  if (!entry) return undefined;
  const body = await readFile(join(dir, entry.name));
  return { body, type: TYPES[extname(entry.name).toLowerCase()] ?? 'application/octet-stream' };
}
