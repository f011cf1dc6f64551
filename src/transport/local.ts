// Transport for a worker that runs on the login node itself: commands go to a local bash.

import { spawn } from 'child_process';
import { delimiter } from 'path';
import { TransportUnavailable } from '../lib/errors';
import type { ExecOptions, ExecResult, Transport, Tunnel } from './types';

export interface LocalShellOptions {
  cwd?: string;
  /** Merged over process.env. */
  env?: Record<string, string>;
  /** Directories put in front of PATH (e.g. where qsub lives). */
  pathPrepend?: string[];
  /** Tunnel destinations to rewrite, e.g. a compute node's name to the address reachable from here. */
  hostAliases?: Record<string, string>;
}

export class LocalShellTransport implements Transport {
  readonly description = 'local shell';
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: LocalShellOptions = {}) {
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    if (options.pathPrepend?.length) {
      env.PATH = [...options.pathPrepend, env.PATH ?? ''].filter((p) => p !== '').join(delimiter);
    }
    this.env = env;
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      // detached: own process group, so a timeout kills the command's children too.
      const child = spawn('bash', ['-c', command], { cwd: this.options.cwd, env: this.env, detached: true });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = (code: number | null, signal?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const result: ExecResult = {
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          code,
        };
        if (signal) result.signal = signal;
        resolve(result);
      };

      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.stdin.on('error', () => undefined); // EPIPE when the command ignores its stdin
      child.on('error', (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(
          new TransportUnavailable(`Cannot run bash in ${this.options.cwd ?? process.cwd()}: ${err.message}`),
        );
      });
      child.on('close', (code, signal) => settle(code, signal ?? undefined));

      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          killGroup(child.pid);
          settle(null); // answer now: a grandchild holding stdout open must not stall us
        }, options.timeoutMs);
      }
      if (options.stdin !== undefined) child.stdin.write(options.stdin);
      child.stdin.end();
    });
  }

  async openTunnel(host: string, port: number): Promise<Tunnel> {
    return { host: this.options.hostAliases?.[host] ?? host, port, close: async () => undefined };
  }

  async close(): Promise<void> {}
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
