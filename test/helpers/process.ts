/** A gateway started as its own process (bin/xborder.js), as `npm start` runs it. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './gateway.js';

export const BIN = join(REPO, 'bin', 'xborder.js');

export interface GatewayProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  readonly exited: Promise<number | null>;
  /** Wait until `probe` returns a value; fails if the process exits first, or after `ms`. */
  waitFor<T>(probe: () => T | undefined, ms?: number): Promise<T>;
  /** The first printed line containing `text`, once there is one. */
  line(text: string, ms?: number): Promise<string>;
}

export function startProcess(config: string, cwd: string, env: NodeJS.ProcessEnv = process.env): GatewayProcess {
  const child = spawn(process.execPath, [BIN, 'start', '--config', config], { cwd, env });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const waitFor = async <T>(probe: () => T | undefined, ms = 20_000): Promise<T> => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const v = probe();
      if (v !== undefined) return v;
      if (done) throw new Error(`process exited before it was ready:\n${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('timed out waiting for the process');
  };
  return {
    child,
    output: () => out,
    exited,
    waitFor,
    line: (text, ms) => waitFor(() => out.split('\n').find((l) => l.includes(text)), ms),
  };
}
