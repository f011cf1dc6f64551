// The real stack for end-to-end tests: a Temporal dev server (built from source), the simulated
// cluster over SSH, and a worker, all on free ports in a temporary folder.
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { connectClient } from '../../src/client';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster';
import type { SweepSpec } from '../../src/spec/schema';
import { startDevServer, type DevServer } from '../../src/temporal/devserver';
import { startWorker, type RunningWorker } from '../../src/worker';
import { exampleSpec } from './spec';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundle the workflow code once per test process (webpack is the slow part of a worker start). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: quietLogger(),
  });
  return bundle;
}

function quietLogger() {
  const noop = () => undefined;
  return { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
}

export interface Stack {
  dir: string;
  server: DevServer;
  sim: SimCluster;
  client: Client;
  taskQueue: string;
  resultsDir: string;
  worker?: RunningWorker;
  /** The simulator spec wired to this stack's SSH port and keys. */
  spec(edit?: (raw: Record<string, unknown>) => void): SweepSpec;
  startWorker(): Promise<RunningWorker>;
  close(): Promise<void>;
}

export interface StackOptions {
  dbFile?: string;
  /** Web UI port of the dev server (default: headless). */
  uiPort?: number;
  /** Environment of the simulated servers (see SimCluster.setJobEnv). */
  jobEnv?: Record<string, string>;
  /** Worker environment (webhook URLs); default process.env. */
  workerEnv?: Record<string, string | undefined>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'vsweep-e2e-'));
  const server = await startDevServer({ port: 0, uiPort: opts.uiPort ?? null, dbFile: opts.dbFile });
  const sim = await startSimCluster({ dir: join(dir, 'sim'), jobEnv: opts.jobEnv });
  const client = await connectClient(server.address);
  const taskQueue = `e2e-${Math.random().toString(36).slice(2, 8)}`;
  const resultsDir = join(dir, 'results');
  const logger = pino({ level: 'warn' }, pino.destination(join(dir, 'worker.log')));
  const stack: Stack = {
    dir,
    server,
    sim,
    client,
    taskQueue,
    resultsDir,
    spec: (edit) =>
      exampleSpec('sim-glm46.yaml', (raw) => {
        const cluster = raw.cluster as { access: Record<string, unknown> };
        Object.assign(cluster.access, {
          port: sim.sshPort,
          identityFile: sim.identityFile,
          knownHostsFile: sim.knownHostsFile,
        });
        edit?.(raw);
      }),
    async startWorker() {
      stack.worker = await startWorker({
        address: server.address,
        taskQueue,
        resultsDir,
        env: opts.workerEnv,
        logger,
        workflowBundle: await workflowBundle(),
      });
      return stack.worker;
    },
    async close() {
      await stack.worker?.shutdown().catch(() => undefined);
      await client.connection.close();
      await sim.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return stack;
}

/**
 * For a describe block: a stack with one worker, started before its tests and closed after them.
 * Call the returned function inside a test to get it.
 */
export function stackWithWorker(opts: StackOptions = {}): () => Stack {
  let stack: Stack | undefined;
  before(async () => {
    stack = await startStack(opts);
    await stack.startWorker();
  });
  after(async () => {
    await stack?.close();
  });
  return () => {
    if (!stack) throw new Error('the stack did not start (see the before hook)');
    return stack;
  };
}
