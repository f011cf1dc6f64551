// Run the Temporal dev server (built from source by `make`) with vsweep's search attributes registered.
import { Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { temporalBinary } from '../lib/paths';
import { searchAttributeArgs } from '../workflows/search-attributes';

export interface DevServerOptions {
  binary?: string;
  ip?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Web UI port; `null` runs headless. Default: port + 1000. */
  uiPort?: number | null;
  /** SQLite file that keeps workflows across restarts; omitted = in memory. */
  dbFile?: string;
  namespace?: string;
  /** Where the server's own output goes; default: discarded. */
  logFile?: string;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const binary = opts.binary ?? temporalBinary();
  if (!existsSync(binary)) {
    throw new Error(
      `Temporal CLI not found at ${binary}: run \`make setup\` (it builds it from source) or set TEMPORAL_CLI_PATH`,
    );
  }
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port || (await freePort(ip));
  const uiPort =
    opts.uiPort === null ? undefined : (opts.uiPort ?? (opts.port ? port + 1000 : await freePort(ip)));
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--namespace',
    opts.namespace ?? 'default',
  ];
  args.push(...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]));
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  args.push(...searchAttributeArgs(), '--log-level', 'warn', '--log-format', 'json');
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(binary, args, { stdio: ['ignore', out, out] });
  const address = `${ip}:${port}`;
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  await waitForFrontend(address, opts.startTimeoutMs ?? 60_000, () => exited);
  return {
    address,
    uiUrl: uiPort === undefined ? undefined : `http://${ip}:${uiPort}`,
    process: child,
    stop: () => stopProcess(child),
  };
}

export async function isServing(address: string): Promise<boolean> {
  try {
    const conn = await Connection.connect({ address, connectTimeout: 1500 });
    await conn.healthService.check({});
    await conn.close();
    return true;
  } catch {
    return false;
  }
}

async function waitForFrontend(
  address: string,
  timeoutMs: number,
  exited: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(`Temporal dev server ${why} before serving ${address} (is the port taken?)`);
    if (await isServing(address)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Temporal dev server did not answer on ${address} within ${timeoutMs / 1000} s`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
