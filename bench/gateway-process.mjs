// A gateway in a process of its own for bench/soak.mjs and bench/fuzz.mjs: startGateway from a
// compiled tree (`dist`), logs at warn, its data URL read from its first stdout line; stopped by
// PID (SIGTERM: it drains and closes its evidence; SIGKILL after a timeout, and on the bench's exit).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const children = new Set();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));

/** Start a gateway on `configFile` from the compiled tree `dist`; resolves to { child, pid, url, stderr() }. */
export function startGatewayProcess(dist, configFile) {
  const mod = (p) => JSON.stringify(pathToFileURL(join(dist, 'agent', p)).href);
  const script = `import { startGateway } from ${mod('gateway.js')};
import { createLogger } from ${mod('observability/log.js')};
const gw = await startGateway({ configFile: process.argv[1], log: createLogger('warn') });
process.stdout.write(JSON.stringify({ dataUrl: gw.dataUrl }) + '\\n');
let closing = false;
const stop = () => { if (closing) return; closing = true; gw.close().then(() => process.exit(0), () => process.exit(1)); };
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, stop);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, configFile], { cwd: dirname(dist), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-200_000)));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`gateway did not start: ${err.slice(-800)}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"dataUrl"'));
      if (line) {
        clearTimeout(timer);
        ok({ child, pid: child.pid, url: JSON.parse(line).dataUrl, stderr: () => err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`gateway exited ${code}: ${err.slice(-800)}`));
    });
  });
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves to the exit code (or 'killed'). */
export function stopProcess(p, timeoutMs = 30_000) {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve(p.child.exitCode ?? p.child.signalCode);
  return new Promise((ok) => {
    const timer = setTimeout(() => {
      process.kill(p.pid, 'SIGKILL');
      ok('killed');
    }, timeoutMs);
    p.child.once('exit', (code, signal) => {
      clearTimeout(timer);
      ok(code ?? signal);
    });
    process.kill(p.pid, 'SIGTERM');
  });
}

/** Resident set size of a process, MiB (/proc/<pid>/status). */
export const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
