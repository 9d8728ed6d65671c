/**
 * Real Redis for tests: a single `redis-server`, a Cluster of them, or a Sentinel watching one,
 * each on free ports of 127.0.0.1 in its own temp folder, stopped by PID. Every process started
 * here is registered and killed after the test file (afterAll) or, at the latest, when the test
 * process exits, so a failing test never leaves one behind.
 * Never: touch the shared Redis on 127.0.0.1:6379 (tests that use it isolate by key prefix).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Why Redis tests were skipped, and how to run them. */
export const REDIS_SKIP_MESSAGE =
  'redis-server is not on PATH: the Redis, Cluster and Sentinel tests are skipped. ' +
  'To run them: apt-get install -y redis-server, then npm test (README.md, "Tests that need redis-server").';

let available: boolean | undefined;

/** Is `redis-server` on PATH (checked once per process)? */
export function redisServerAvailable(): boolean {
  available ??= spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  return available;
}

/** How long a started server may take to answer PING, or a cluster to agree (ms). */
const READY_MS = 30_000;
/** How long a stopped server may take to exit before it gets SIGKILL (ms). */
const EXIT_MS = 10_000;

// Every live process and temp folder made here; killed and removed after the file and on exit,
// whatever the tests did.
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
if (process.env.VITEST) afterAll(() => stopAll());

/** Stop every process this module started and has not stopped yet (SIGKILL, waits for exit), and remove its temp folders. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => killChild(child, 'SIGKILL')));
  for (const dir of dirs) removeDir(dir);
}

function makeDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** A port that was free a moment ago on 127.0.0.1 (with `bus`, port + 10000 too: the cluster bus). */
export async function freePort(opts: { bus?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (!opts.bus) return port;
    if (port + 10_000 <= 65_535 && (await isFree(port + 10_000))) return port;
  }
  throw new Error('no free port pair (port, port + 10000) found on 127.0.0.1');
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

const isFree = (port: number): Promise<boolean> => listenOnce(port).then(() => true, () => false);

/** Run `redis-cli -h 127.0.0.1 -p PORT ...args` and return its raw output (throws on a non-zero exit). */
export function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-cli -p ${port} ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Poll `probe` until it returns true; throws with `what` after READY_MS. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, ms = READY_MS): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), EXIT_MS);
    child.once('exit', () => {
      clearTimeout(force);
      live.delete(child);
      resolve();
    });
    try {
      if (child.pid !== undefined) process.kill(child.pid, signal);
    } catch {
      // Already gone (ESRCH): its 'exit' event resolves the wait.
    }
  });
}

interface Spawned {
  readonly child: ChildProcess;
  output(): string;
}

/**
 * Spawn a redis-server (or sentinel) and wait until it answers on `port` as itself; fails with its
 * own output if it exits first (a port taken in the meantime, a bad option).
 */
async function spawnServer(args: readonly string[], port: number, cwd: string): Promise<Spawned> {
  const child = spawn('redis-server', [...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  const keep = (c: Buffer) => (out = (out + c.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  let gone = false;
  void exited.then(() => (gone = true));
  const until = Date.now() + READY_MS;
  // Ready when the server answering on the port is this process (not another test's that took the port).
  const ours = () => redisCli(port, 'INFO', 'server').then((info) => info.includes(`process_id:${child.pid}\r`));
  while (!(await ours().catch(() => false))) {
    if (gone) throw new ExitedEarly(out);
    if (Date.now() > until) {
      await killChild(child, 'SIGKILL');
      throw new Error(`timed out waiting for redis-server on port ${port}; its output:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out };
}

class ExitedEarly extends Error {
  constructor(readonly output: string) {
    super(`redis-server exited before it answered PING:\n${output}`);
  }
}

/**
 * Start on a free port, choosing another if the first is taken by the time redis-server binds it
 * (other test files look for free ports at the same time).
 */
async function spawnOnFreePort(argsFor: (port: number) => string[], cwd: string, bus = false): Promise<{ port: number; spawned: Spawned }> {
  let last: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort({ bus });
    try {
      return { port, spawned: await spawnServer(argsFor(port), port, cwd) };
    } catch (err) {
      if (!(err instanceof ExitedEarly)) throw err;
      last = err;
    }
  }
  throw last ?? new Error('redis-server did not start');
}

export interface RedisOptions {
  /** AOF on (default off, with RDB snapshots off too: a restart then comes back empty). */
  readonly appendonly?: boolean;
  /** Default 'everysec' (Redis's own default). */
  readonly appendfsync?: 'always' | 'everysec';
  /** Data folder; default a fresh temp folder, removed by stop(). A given folder is left in place. */
  readonly dir?: string;
  /** More `--option value` arguments, after the ones above (they win). */
  readonly args?: readonly string[];
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The PID of the current process (a new one after restart()). */
  readonly pid: number;
  readonly dir: string;
  /** SIGTERM (SIGKILL after 10 s), wait for exit, remove the temp folder. */
  stop(): Promise<void>;
  /** Send `signal` (default SIGKILL) and wait for the exit; the folder stays, for restart(). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start again on the same port and folder (stopping it first if it runs); waits for PING. */
  restart(): Promise<void>;
}

/** A single redis-server on a free 127.0.0.1 port in its own temp folder; resolves once it answers PING. */
export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeDir('xb-redis-');
  const argsFor = (port: number): string[] => [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', opts.appendonly ? 'yes' : 'no',
    '--appendfsync', opts.appendfsync ?? 'everysec',
    ...(opts.args ?? []),
  ];
  let started: { port: number; spawned: Spawned };
  try {
    started = await spawnOnFreePort(argsFor, dir);
  } catch (err) {
    if (ownDir) removeDir(dir);
    throw err;
  }
  const { port } = started;
  let child = started.spawned.child;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid as number;
    },
    dir,
    async stop() {
      await killChild(child, 'SIGTERM');
      if (ownDir) removeDir(dir);
    },
    kill: (signal = 'SIGKILL') => killChild(child, signal),
    async restart() {
      await killChild(child, 'SIGTERM');
      child = (await spawnServer(argsFor(port), port, dir)).child;
    },
  };
}

export interface RedisCluster {
  /** Seed nodes, `127.0.0.1:<port>`. */
  readonly seeds: string[];
  readonly ports: number[];
  stop(): Promise<void>;
}

/** `n` (≥ 3) cluster-enabled masters, no replicas, slots spread by `redis-cli --cluster create`; resolves once every node says cluster_state:ok. */
export async function startCluster(n = 3): Promise<RedisCluster> {
  const nodes: { port: number; child: ChildProcess; dir: string }[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => killChild(node.child, 'SIGTERM')));
    for (const node of nodes) removeDir(node.dir);
  };
  try {
    for (let i = 0; i < n; i++) {
      const dir = makeDir('xb-redis-cluster-');
      const node = { port: 0, child: undefined as unknown as ChildProcess, dir };
      nodes.push(node);
      const argsFor = (port: number): string[] => [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--dir', dir,
        '--cluster-enabled', 'yes',
        '--cluster-config-file', 'nodes.conf',
        '--cluster-node-timeout', '5000',
        '--appendonly', 'no',
        '--save', '',
      ];
      const started = await spawnOnFreePort(argsFor, dir, true);
      node.port = started.port;
      node.child = started.spawned.child;
    }
    const seeds = nodes.map((node) => `127.0.0.1:${node.port}`);
    await new Promise<void>((resolve, reject) => {
      execFile('redis-cli', ['--cluster', 'create', ...seeds, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`redis-cli --cluster create failed: ${err.message}\n${stdout}${stderr}`));
        else resolve();
      });
    });
    for (const node of nodes) {
      await waitUntil(`cluster_state:ok on port ${node.port}`, async () => {
        const info = await redisCli(node.port, 'CLUSTER', 'INFO');
        return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${n}`);
      });
    }
    return { seeds, ports: nodes.map((node) => node.port), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface RedisSentinel {
  readonly port: number;
  /** `127.0.0.1:<port>`, for a client's sentinel list. */
  readonly sentinels: string[];
  /** The monitored master's name. */
  readonly name: string;
  stop(): Promise<void>;
}

/** One sentinel (quorum 1) monitoring the master on 127.0.0.1:`master.port` as `name`; resolves once it names the master. */
export async function startSentinel(master: { readonly port: number }, name = 'xbmaster'): Promise<RedisSentinel> {
  const dir = makeDir('xb-redis-sentinel-');
  // Sentinel rewrites its config file, so each start gets its own, in its own folder.
  const argsFor = (port: number): string[] => {
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} 5000`,
        `sentinel failover-timeout ${name} 10000`,
        '',
      ].join('\n'),
    );
    return [conf, '--sentinel'];
  };
  let started: { port: number; spawned: Spawned };
  try {
    started = await spawnOnFreePort(argsFor, dir);
  } catch (err) {
    removeDir(dir);
    throw err;
  }
  const { port } = started;
  const { child } = started.spawned;
  const stop = async (): Promise<void> => {
    await killChild(child, 'SIGTERM');
    removeDir(dir);
  };
  try {
    await waitUntil(`sentinel on ${port} to name ${name}`, async () => {
      const out = await redisCli(port, 'SENTINEL', 'get-master-addr-by-name', name);
      return out.split('\n').map((l) => l.trim()).includes(String(master.port));
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, sentinels: [`127.0.0.1:${port}`], name, stop };
}
