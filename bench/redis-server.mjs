// A redis-server of a bench's own on a free 127.0.0.1 port, stopped by PID (also when the bench
// exits early). Shared by bench/count.mjs, bench/micro/hll.mjs and bench/proxy.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

const running = new Set();
process.on('exit', () => {
  for (const c of running) if (c.exitCode === null) process.kill(c.pid, 'SIGKILL');
});
// A bench stopped from outside (timeout, kill) still runs the exit handler above.
process.once('SIGTERM', () => process.exit(143));

/** A port nothing listens on now (127.0.0.1). */
export async function freePort() {
  const server = createServer();
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/** `redis-server --version`'s version, or '?'. */
export const redisVersion = () => spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout?.match(/v=(\S+)/)?.[1] ?? '?';

/**
 * Start redis-server with `args` (persistence etc.; `--port`, `--bind` and `--save ""` are set
 * here) and wait until it accepts connections. Returns { child, port, url, stop() }.
 */
export async function startRedisServer(args = ['--appendonly', 'no']) {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) throw new Error(`redis-server not found (${probe.error.code})`);
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${out.slice(-300)}`)), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        ok();
      }
    });
    child.on('exit', (code) => fail(new Error(`redis-server exited ${code}: ${out.slice(-300)}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((ok) => child.once('exit', ok));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, port, url: `redis://127.0.0.1:${port}`, stop };
}
