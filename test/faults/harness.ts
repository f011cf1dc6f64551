// Fault injection on the real stack, shared by test/faults and bench/faults.ts: a Temporal dev server
// on a fixed port and SQLite file (restartable), the simulated cluster in this process (it outlives
// every worker), and workers as separate processes that are killed with SIGKILL and started again.
import type { Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectClient, startSweep } from '../../src/client';
import { loadDataset } from '../../src/datasets/load';
import { planSweep } from '../../src/plan/plan';
import type { PbsJob } from '../../src/scheduler/pbs/model';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster';
import type { SweepSpec } from '../../src/spec/schema';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/devserver';
import { configWorkflowId } from '../../src/workflows/sweep';
import type { ConfigProgress, SweepResult } from '../../src/workflows/types';
import { exampleSpec } from '../helpers/spec';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

export const TIME_SCALE = 0.01;
const LOAD_LINE = 'Starting to load model';
/** The two experiments of every fault sweep: 1A loads in 155 s (EP on), 2B in 310 s (EP off). */
const EXPERIMENTS = ['1A', '2B'];

export type FaultKind =
  | 'worker-kill@submit'
  | 'worker-kill@queue'
  | 'worker-kill@load'
  | 'worker-kill@warmup'
  | 'worker-kill@replay'
  | 'worker-kill@teardown'
  | 'temporal-restart@load'
  | 'temporal-restart@replay'
  | 'ssh-drop@submit'
  | 'ssh-drop@replay'
  | 'job-kill@replay'
  | 'server-crash@replay';

export const FAULT_KINDS: FaultKind[] = [
  'worker-kill@submit',
  'worker-kill@queue',
  'worker-kill@load',
  'worker-kill@warmup',
  'worker-kill@replay',
  'worker-kill@teardown',
  'temporal-restart@load',
  'temporal-restart@replay',
  'ssh-drop@submit',
  'ssh-drop@replay',
  'job-kill@replay',
  'server-crash@replay',
];

/** Faults that end the targeted experiment on purpose: it must fail cleanly, the other must complete. */
const FATAL: ReadonlySet<FaultKind> = new Set(['job-kill@replay', 'server-crash@replay']);

export interface Measures {
  orphanJobs: number;
  duplicateSubmissions: number;
  lostSamples: number;
  doubleMeasuredSamples: number;
}

export interface InjectionOutcome extends Measures {
  kind: FaultKind;
  sweepId: string;
  result: SweepResult;
  /** The targeted configuration's stage (and samples recorded) when the fault hit. */
  hitAt: string;
  /** The sweep closed, nothing orphaned, duplicated, lost or measured twice, outcomes as expected. */
  survived: boolean;
  problems: string[];
  /** `Starting to load model` lines in each config's server.log, by experiment label. */
  loads: Record<string, number>;
  /** PBS jobs per experiment label (by VSWEEP_RUN_ID). */
  jobs: Record<string, PbsJob[]>;
}

export interface FaultStack {
  dir: string;
  /** VSWEEP_HOME of every worker process: results in `<home>/results`. */
  home: string;
  sim: SimCluster;
  client: Client;
  taskQueue: string;
  address: string;
  worker?: WorkerProcess;
  startWorker(): Promise<WorkerProcess>;
  /** kill -9 the current worker (the crash), then wait for it to be gone. */
  killWorker(): Promise<void>;
  /** Stop the Temporal dev server and start it again on the same port and SQLite file. */
  restartServer(pauseMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultStack(): Promise<FaultStack> {
  const dir = mkdtempSync(join(tmpdir(), 'vsweep-faults-'));
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const port = await freePort();
  const dbFile = join(dir, 'temporal.db');
  const serverLog = join(dir, 'temporal.log');
  let server: DevServer = await startDevServer({ port, dbFile, uiPort: null, logFile: serverLog });
  const sim = await startSimCluster({ dir: join(dir, 'sim') });
  writeLoginNodeWrappers(sim);
  const client = await connectClient(server.address);
  let workers = 0;
  const stack: FaultStack = {
    dir,
    home,
    sim,
    client,
    address: server.address,
    taskQueue: `faults-${Math.random().toString(36).slice(2, 8)}`,
    async startWorker() {
      stack.worker = await startWorkerProcess({
        address: server.address,
        taskQueue: stack.taskQueue,
        home,
        index: ++workers,
      });
      return stack.worker;
    },
    async killWorker() {
      await stack.worker?.kill('SIGKILL');
      stack.worker = undefined;
    },
    async restartServer(pauseMs = 0) {
      await server.stop();
      if (pauseMs > 0) await delay(pauseMs);
      server = await startDevServer({ port, dbFile, uiPort: null, logFile: serverLog });
    },
    async close() {
      await stack.worker?.kill('SIGKILL'); // nothing to save; a graceful stop waits out long polls
      await client.connection.close().catch(() => undefined);
      await deleteAllJobs(sim).catch(() => undefined);
      await sim.close();
      await server.stop();
      if (!process.env.VSWEEP_FAULTS_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** The sim example with 1A and 2B only, wired to this stack's SSH port, keys and login-node wrappers. */
export function faultSpec(
  stack: FaultStack,
  edit: (raw: Record<string, unknown>) => void = () => {},
): SweepSpec {
  return exampleSpec('sim-glm46.yaml', (raw) => {
    raw.timeScale = TIME_SCALE;
    const cluster = raw.cluster as Record<string, unknown>;
    Object.assign(cluster.access as Record<string, unknown>, {
      port: stack.sim.sshPort,
      identityFile: stack.sim.identityFile,
      knownHostsFile: stack.sim.knownHostsFile,
    });
    // qsub and qdel through wrappers that can hold the command's exit open: a crash mid-command.
    cluster.commands = { qsub: wrapperPath(stack.sim, 'qsub'), qdel: wrapperPath(stack.sim, 'qdel') };
    raw.experiments = (raw.experiments as { id: string }[]).filter((e) => EXPERIMENTS.includes(e.id));
    edit(raw);
  });
}

// ---------------------------------------------------------------------------------------------------
// Login-node wrappers: run the real command, then, while `<name>.hold` exists, keep its exit status back.

function wrapperDir(sim: SimCluster): string {
  return join(sim.homeDir, '.faults');
}

function wrapperPath(sim: SimCluster, command: 'qsub' | 'qdel'): string {
  return join(wrapperDir(sim), command);
}

function writeLoginNodeWrappers(sim: SimCluster): void {
  const dir = wrapperDir(sim);
  mkdirSync(dir, { recursive: true });
  for (const command of ['qsub', 'qdel'] as const) {
    const script = [
      '#!/bin/sh',
      `${JSON.stringify(join(sim.binDir, command))} "$@"`,
      'rc=$?',
      `if [ -e ${JSON.stringify(join(dir, `${command}.hold`))} ]; then`,
      `  touch ${JSON.stringify(join(dir, `${command}.held`))}`,
      '  i=0',
      `  while [ -e ${JSON.stringify(join(dir, `${command}.hold`))} ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done`,
      'fi',
      'exit $rc',
      '',
    ].join('\n');
    writeFileSync(wrapperPath(sim, command), script);
    chmodSync(wrapperPath(sim, command), 0o755);
  }
}

function hold(sim: SimCluster, command: 'qsub' | 'qdel'): { held: () => boolean; release: () => void } {
  const holdFile = join(wrapperDir(sim), `${command}.hold`);
  const heldFile = join(wrapperDir(sim), `${command}.held`);
  rmSync(heldFile, { force: true });
  writeFileSync(holdFile, '');
  return {
    held: () => existsSync(heldFile),
    release: () => {
      rmSync(holdFile, { force: true });
      rmSync(heldFile, { force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Watching: bounded polls, never a fixed sleep standing in for "the stage has been reached".

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Target {
  sweepId: string;
  label: string;
  configKey: string;
  workflowId: string;
  runId: string;
  runDir: string;
  recordsFile: string;
}

function targetOf(stack: FaultStack, spec: SweepSpec, sweepId: string, label: string): Target {
  const config = planSweep(spec).configs.find((c) => c.label === label);
  if (!config) throw new Error(`no server config ${label} in the fault spec`);
  const exp = config.experiments[0];
  return {
    sweepId,
    label,
    configKey: config.key,
    workflowId: configWorkflowId(sweepId, config.key),
    runId: `${sweepId}.${config.key}`,
    runDir: join(stack.sim.homeDir, 'vsweep-runs', sweepId, config.key),
    recordsFile: join(stack.home, 'results', sweepId, config.key, `${exp.id}.${exp.datasets[0]}.jsonl`),
  };
}

async function progressOf(stack: FaultStack, t: Target): Promise<ConfigProgress | undefined> {
  try {
    return await stack.client.workflow.getHandle(t.workflowId).query<ConfigProgress>('progress');
  } catch {
    return undefined; // not started yet, or no worker to answer
  }
}

function linesOf(file: string): string[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
    : [];
}

function countLoads(runDir: string): number {
  return linesOf(join(runDir, 'server.log')).filter((l) => l.includes(LOAD_LINE)).length;
}

const sweepJobs = (sim: SimCluster, sweepId: string) =>
  sim.pbs.jobs().filter((j) => j.variables.VSWEEP_RUN_ID?.startsWith(`${sweepId}.`));

const runningJobOf = (sim: SimCluster, t: Target) =>
  sim.pbs.jobs().find((j) => j.variables.VSWEEP_RUN_ID === t.runId && j.state === 'R');

/** The sweep's result, waiting through a Temporal restart (the long poll fails while it is down). */
export async function awaitResult(
  stack: FaultStack,
  sweepId: string,
  timeoutMs = 90_000,
): Promise<SweepResult> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`sweep ${sweepId} did not close within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    for (;;) {
      try {
        return await Promise.race([
          stack.client.workflow.getHandle(sweepId).result() as Promise<SweepResult>,
          expired,
        ]);
      } catch (err) {
        if (String(err).includes('did not close')) throw err;
        await Promise.race([delay(200), expired]);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------
// Injections.

/** Run one sweep of the fault spec, inject `kind` when its target stage is reached, and measure. */
export async function runInjection(stack: FaultStack, kind: FaultKind): Promise<InjectionOutcome> {
  if (!stack.worker) await stack.startWorker();
  const spec = faultSpec(stack, (raw) => {
    // Twenty warmup requests make the warmup stage long enough to be hit (~0.5 s at this time scale).
    if (kind === 'worker-kill@warmup') (raw.workload as Record<string, unknown>).warmupRequests = 20;
  });
  const [fault, at] = kind.split('@') as [string, string];
  // 2B is the slow loader (the seed's 310 s); replay-stage faults hit 1A, and 2B must complete regardless.
  const targetLabel = at === 'load' || at === 'queue' ? '2B' : '1A';
  let blockers: string[] = [];
  if (at === 'queue') blockers = await fillCluster(stack.sim);
  const held =
    at === 'submit' ? hold(stack.sim, 'qsub') : at === 'teardown' ? hold(stack.sim, 'qdel') : undefined;
  const sweepId = await startSweep(stack.client, spec, { taskQueue: stack.taskQueue });
  const t = targetOf(stack, spec, sweepId, targetLabel);
  let hitAt = '';
  const describeHit = async () => {
    const p = await progressOf(stack, t);
    return `${p?.stage ?? '?'} (${linesOf(t.recordsFile).length} samples recorded)`;
  };
  try {
    switch (at) {
      case 'submit':
      case 'teardown':
        // The real qsub/qdel ran on the login node; its exit status has not reached the worker yet.
        await waitUntil(`${at} command to run`, () => held!.held());
        hitAt = `${at} (command ran, exit status held)`;
        break;
      case 'queue':
        await waitUntil(
          'the job to wait in the queue',
          async () => (await progressOf(stack, t))?.stage === 'queue',
        );
        hitAt = await describeHit();
        break;
      case 'load':
        await waitUntil('the model load to start', () => countLoads(t.runDir) > 0);
        hitAt = `load (${linesOf(join(t.runDir, 'server.log')).length} log lines)`;
        break;
      case 'warmup':
        await waitUntil('warmup', async () => (await progressOf(stack, t))?.stage === 'warmup');
        hitAt = await describeHit();
        break;
      case 'replay':
        await waitUntil('the first measured sample', () => linesOf(t.recordsFile).length >= 1);
        hitAt = `replay (${linesOf(t.recordsFile).length} samples recorded)`;
        break;
    }
    switch (fault) {
      case 'worker-kill':
        await stack.killWorker();
        await delay(30 * TIME_SCALE * 1000); // the new worker starts ~30 simulated seconds later
        held?.release();
        await stack.startWorker();
        break;
      case 'temporal-restart':
        await stack.restartServer(30 * TIME_SCALE * 1000);
        break;
      case 'ssh-drop':
        stack.sim.ssh.dropConnections();
        held?.release();
        break;
      case 'job-kill': {
        const job = runningJobOf(stack.sim, t);
        if (!job || !stack.sim.pbs.killJob(job.id, 'node-failure'))
          throw new Error(`no running job for ${t.label}`);
        break;
      }
      case 'server-crash': {
        // The job script exec's vllm, so the job's session leader is the server process itself.
        const session = runningJobOf(stack.sim, t)?.attributes.find((a) => a.name === 'session_id')?.value;
        if (!session) throw new Error(`no running server for ${t.label}`);
        process.kill(Number(session), 'SIGKILL');
        break;
      }
    }
    if (at === 'queue') await deleteJobs(stack.sim, blockers);
    const result = await awaitResult(stack, sweepId);
    return evaluate(stack, kind, spec, result, t, hitAt);
  } finally {
    held?.release();
    if (blockers.length > 0) await deleteJobs(stack.sim, blockers).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------
// Measurement.

export function measure(stack: FaultStack, spec: SweepSpec, result: SweepResult): Measures {
  const jobs = sweepJobs(stack.sim, result.sweepId);
  const orphanJobs = jobs.filter((j) => ['Q', 'R', 'H'].includes(j.state)).length;
  const perRunId = new Map<string, number>();
  for (const j of jobs)
    perRunId.set(j.variables.VSWEEP_RUN_ID, (perRunId.get(j.variables.VSWEEP_RUN_ID) ?? 0) + 1);
  const duplicateSubmissions = [...perRunId.values()].reduce((n, count) => n + count - 1, 0);
  let lostSamples = 0;
  let doubleMeasuredSamples = 0;
  for (const config of result.configs) {
    for (const row of config.rows) {
      const sampleIds = loadDataset(row.dataset, spec.datasets[row.dataset]).map((s) => s.id);
      const measured = row.run?.samples.map((s) => s.sampleId) ?? [];
      const recordsFile = join(
        stack.home,
        'results',
        result.sweepId,
        config.configKey,
        `${row.experimentId}.${row.dataset}.jsonl`,
      );
      const recorded = linesOf(recordsFile).map((l) => (JSON.parse(l) as { sampleId: string }).sampleId);
      doubleMeasuredSamples += duplicates(measured) + duplicates(recorded);
      // Samples only count as lost where the server configuration succeeded.
      if (config.outcome === 'ok') lostSamples += sampleIds.filter((id) => !measured.includes(id)).length;
    }
  }
  return { orphanJobs, duplicateSubmissions, lostSamples, doubleMeasuredSamples };
}

function duplicates(ids: string[]): number {
  return ids.length - new Set(ids).size;
}

function evaluate(
  stack: FaultStack,
  kind: FaultKind,
  spec: SweepSpec,
  result: SweepResult,
  t: Target,
  hitAt: string,
): InjectionOutcome {
  const measures = measure(stack, spec, result);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(measures)) if (value !== 0) problems.push(`${name}: ${value}`);
  const loads: Record<string, number> = {};
  const jobs: Record<string, PbsJob[]> = {};
  const all = sweepJobs(stack.sim, result.sweepId);
  for (const config of result.configs) {
    const target = targetOf(stack, spec, result.sweepId, config.label);
    loads[config.label] = countLoads(target.runDir);
    jobs[config.label] = all.filter((j) => j.variables.VSWEEP_RUN_ID === target.runId);
    const fatalTarget = FATAL.has(kind) && config.label === t.label;
    if (fatalTarget) {
      if (config.outcome !== 'failed' || config.failedStage !== 'replay')
        problems.push(
          `${config.label}: expected failed in replay, got ${config.outcome}/${config.failedStage}`,
        );
      if (!config.reason) problems.push(`${config.label}: no reason`);
      if (!config.logTail) problems.push(`${config.label}: no log tail`);
    } else {
      const bad = config.rows.filter((r) => r.outcome !== 'ok');
      if (config.outcome !== 'ok' || bad.length > 0)
        problems.push(
          `${config.label}: ${config.outcome} (${config.failedStage ?? '-'}: ${config.reason ?? ''})`,
        );
    }
    if (jobs[config.label].length !== 1) problems.push(`${config.label}: ${jobs[config.label].length} jobs`);
  }
  return {
    kind,
    sweepId: result.sweepId,
    result,
    hitAt,
    survived: problems.length === 0,
    problems,
    loads,
    jobs,
    ...measures,
  };
}

// ---------------------------------------------------------------------------------------------------
// A busy cluster: one full-node job on every node, so the sweep's jobs wait in the queue.

async function pbs(sim: SimCluster, command: string, args: string[], stdin = ''): Promise<string> {
  const child = promisify(execFile)(join(sim.binDir, command), args, {
    cwd: sim.homeDir,
    env: { ...process.env, HOME: sim.homeDir, USER: sim.user, LOGNAME: sim.user },
  });
  child.child.stdin?.end(stdin);
  return (await child).stdout;
}

async function fillCluster(sim: SimCluster): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const out = await pbs(
      sim,
      'qsub',
      [
        '-N',
        `blocker${i}`,
        '-q',
        'gpu',
        '-l',
        'select=1:ncpus=64:ngpus=8:mem=500gb',
        '-l',
        'walltime=01:00:00',
        '-v',
        `VSWEEP_TIME_SCALE=${TIME_SCALE}`,
      ],
      'sleep 600\n',
    );
    ids.push(out.trim());
  }
  await waitUntil('every node to be busy', () =>
    ids.every((id) => sim.pbs.jobs().find((j) => j.id === id)?.state === 'R'),
  );
  return ids;
}

async function deleteJobs(sim: SimCluster, ids: string[]): Promise<void> {
  if (ids.length > 0) await pbs(sim, 'qdel', ids).catch(() => undefined);
}

async function deleteAllJobs(sim: SimCluster): Promise<void> {
  await deleteJobs(
    sim,
    sim.pbs
      .jobs()
      .filter((j) => j.state === 'Q' || j.state === 'R')
      .map((j) => j.id),
  );
}

// ---------------------------------------------------------------------------------------------------
// Reporting (the bench's table).

export interface KindTotals extends Measures {
  kind: FaultKind;
  injections: number;
  /** Sweeps that closed (returned a result) after the injection. */
  sweepsCompleted: number;
  /** Closed with nothing orphaned, duplicated, lost or measured twice, and the expected outcomes. */
  survived: number;
}

/** Per fault kind; an injection whose sweep never closed is given as `{ kind, error }`. */
export function tabulate(outcomes: (InjectionOutcome | { kind: FaultKind; error: string })[]): KindTotals[] {
  const byKind = new Map<FaultKind, KindTotals>();
  for (const o of outcomes) {
    const row = byKind.get(o.kind) ?? {
      kind: o.kind,
      injections: 0,
      sweepsCompleted: 0,
      survived: 0,
      orphanJobs: 0,
      duplicateSubmissions: 0,
      lostSamples: 0,
      doubleMeasuredSamples: 0,
    };
    row.injections += 1;
    if ('result' in o) {
      row.sweepsCompleted += 1;
      row.survived += o.survived ? 1 : 0;
      row.orphanJobs += o.orphanJobs;
      row.duplicateSubmissions += o.duplicateSubmissions;
      row.lostSamples += o.lostSamples;
      row.doubleMeasuredSamples += o.doubleMeasuredSamples;
    }
    byKind.set(o.kind, row);
  }
  return [...byKind.values()];
}
