// The simulated PBS server's state: nodes, jobs and their lifecycle Q -> R -> E -> F, with real processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { Chunk } from './args';
import { runComment } from './render';

export type SimJobState = 'Q' | 'R' | 'E' | 'F';
export type EndReason = 'finished' | 'failed' | 'terminated' | 'walltime' | 'mem';
/** What killJob simulates; each maps to the Exit_status and comment PBS would record. */
export type KillReason = 'node-failure' | 'walltime' | 'mem';

/** PBS job.h JOB_SUBSTATE_*: queued 10, running 42, exiting 51, terminated 91, finished 92, failed 93. */
const SUBSTATE = { queued: 10, running: 42, exiting: 51, terminated: 91, finished: 92, failed: 93 } as const;
/** pbs_job_attributes.7B: JOB_EXEC_KILL_WALLTIME and JOB_EXEC_KILL_MEM. */
const EXIT_KILL_WALLTIME = -29;
const EXIT_KILL_MEM = -27;
const END_COMMENT: Record<EndReason, string> = {
  finished: ' and finished',
  failed: ' and failed',
  terminated: ' and terminated',
  walltime: ' and exceeded resource walltime',
  mem: ' and exceeded resource mem',
};

export interface SimNode {
  name: string;
  address: string;
  ncpus: number;
  ngpus: number;
  memKb: number;
  used: { ncpus: number; ngpus: number; memKb: number; tasks: number };
}

export interface SubmitSpec {
  name: string;
  owner: string;
  queue: string;
  chunks: Chunk[];
  resourceList: Map<string, string>;
  walltimeSec?: number;
  variableList: [string, string][];
  workdir: string;
  home: string;
  /** Absolute paths; default `<workdir>/<name>.o<seq>` / `.e<seq>`. */
  outputFile?: string;
  errorFile?: string;
  joinPath: string;
  submitArguments: string;
  submitHost: string;
  script: string;
  timeScale: number;
}

export interface SimJob extends SubmitSpec {
  seq: number;
  id: string;
  state: SimJobState;
  substate: number;
  outputPathAttr: string;
  errorPathAttr: string;
  ctime: Date;
  mtime: Date;
  stime?: Date;
  endedAtMs?: number;
  /** Set when the queue wait is over; a flag, since a timer may fire a little before Date.now() agrees. */
  eligible: boolean;
  execHost?: string;
  execVnode?: string;
  allocations: { node: SimNode; chunk: Chunk }[];
  comment?: string;
  exitStatus?: number;
  sessionId?: number;
  runCount: number;
  historyTimestampSec?: number;
  endReason?: EndReason;
  forcedExitStatus?: number;
  process?: ChildProcess;
  exited?: Promise<void>;
}

export interface ClusterOptions {
  dir: string;
  serverName: string;
  user: string;
  nodes: SimNode[];
  nodeBinDir: string;
  historyEnabled: boolean;
  /** Simulated seconds a job waits in Q before the scheduler considers it: uniform in [min, max]. */
  queueWaitSec: [number, number];
  exitingSec: number;
  killDelaySec: number;
  firstSeq: number;
  random: () => number;
}

export class PbsCluster {
  readonly jobs = new Map<number, SimJob>();
  private nextSeq: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly spoolDir: string;
  private closed = false;

  constructor(readonly options: ClusterOptions) {
    this.nextSeq = options.firstSeq;
    this.spoolDir = join(options.dir, 'spool');
    mkdirSync(this.spoolDir, { recursive: true });
  }

  /** The sequence number the next job will get. */
  get nextSequence(): number {
    return this.nextSeq;
  }

  get totals(): { ncpus: number; ngpus: number; memKb: number } {
    const sum = (pick: (node: SimNode) => number) =>
      this.options.nodes.reduce((acc, node) => acc + pick(node), 0);
    return { ncpus: sum((n) => n.ncpus), ngpus: sum((n) => n.ngpus), memKb: sum((n) => n.memKb) };
  }

  private after(delaySec: number, scale: number, action: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        action();
      },
      delaySec * scale * 1000,
    );
    this.timers.add(timer);
  }

  submit(spec: SubmitSpec): SimJob {
    const seq = this.nextSeq++;
    const now = new Date();
    const [minWaitSec, maxWaitSec] = this.options.queueWaitSec;
    const waitSec = minWaitSec + (maxWaitSec - minWaitSec) * this.options.random();
    const outputFile = spec.outputFile ?? join(spec.workdir, `${spec.name}.o${seq}`);
    const errorFile = spec.errorFile ?? join(spec.workdir, `${spec.name}.e${seq}`);
    const job: SimJob = {
      ...spec,
      outputFile,
      errorFile,
      seq,
      id: `${seq}.${this.options.serverName}`,
      state: 'Q',
      substate: SUBSTATE.queued,
      outputPathAttr: `${spec.submitHost}:${outputFile}`,
      errorPathAttr: `${spec.submitHost}:${errorFile}`,
      ctime: now,
      mtime: now,
      eligible: false,
      allocations: [],
      runCount: 0,
    };
    this.jobs.set(seq, job);
    this.after(waitSec, spec.timeScale, () => {
      job.eligible = true;
      this.schedule();
    });
    return job;
  }

  /** Accepts `1234`, `1234.<server>` (or a prefix of its labels) and `...@<server>`. */
  find(idText: string): { job?: SimJob; fullId: string } {
    const [seqText, ...rest] = idText.split('@')[0].split('.');
    if (!/^\d+$/.test(seqText)) return { fullId: idText };
    const server = rest.join('.');
    const fullId = `${seqText}.${server || this.options.serverName}`;
    const serverMatches =
      server === '' || server === this.options.serverName || this.options.serverName.startsWith(`${server}.`);
    return { job: serverMatches ? this.jobs.get(Number(seqText)) : undefined, fullId };
  }

  /** One scheduler cycle: start every eligible queued job that fits (free placement, chunk by chunk). */
  schedule(): void {
    if (this.closed) return;
    for (const job of this.jobs.values()) {
      if (job.state !== 'Q' || !job.eligible) continue;
      const placement = this.place(job.chunks);
      if (placement) this.start(job, placement);
      else job.comment = this.insufficientComment(job);
    }
  }

  private place(chunks: Chunk[]): { node: SimNode; chunk: Chunk }[] | undefined {
    const tentative = new Map<SimNode, { ncpus: number; ngpus: number; memKb: number }>();
    const placement: { node: SimNode; chunk: Chunk }[] = [];
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.count; i++) {
        const node = this.options.nodes.find((n) => {
          const extra = tentative.get(n) ?? { ncpus: 0, ngpus: 0, memKb: 0 };
          return (
            n.used.ncpus + extra.ncpus + chunk.ncpus <= n.ncpus &&
            n.used.ngpus + extra.ngpus + chunk.ngpus <= n.ngpus &&
            n.used.memKb + extra.memKb + chunk.memKb <= n.memKb
          );
        });
        if (!node) return undefined;
        const extra = tentative.get(node) ?? { ncpus: 0, ngpus: 0, memKb: 0 };
        tentative.set(node, {
          ncpus: extra.ncpus + chunk.ncpus,
          ngpus: extra.ngpus + chunk.ngpus,
          memKb: extra.memKb + chunk.memKb,
        });
        placement.push({ node, chunk });
      }
    }
    return placement;
  }

  /** The scheduler's comment, e.g. `Not Running: Insufficient amount of resource: ngpus (R: 8 A: 0 T: 160)`. */
  private insufficientComment(job: SimJob): string {
    const requested = (pick: (c: Chunk) => number) =>
      job.chunks.reduce((acc, c) => acc + c.count * pick(c), 0);
    const resource = requested((c) => c.ngpus) > 0 ? 'ngpus' : 'ncpus';
    const free = this.options.nodes.reduce((acc, n) => acc + n[resource] - n.used[resource], 0);
    const total = this.totals[resource];
    return `Not Running: Insufficient amount of resource: ${resource} (R: ${requested((c) => c[resource])} A: ${free} T: ${total})`;
  }

  private start(job: SimJob, placement: { node: SimNode; chunk: Chunk }[]): void {
    const hosts: string[] = [];
    const vnodes: string[] = [];
    for (const { node, chunk } of placement) {
      hosts.push(`${node.name}/${node.used.tasks}${chunk.ncpus === 1 ? '' : `*${chunk.ncpus}`}`);
      const amounts = [`ncpus=${chunk.ncpus}`];
      if (chunk.resources.some(([name]) => name === 'ngpus')) amounts.push(`ngpus=${chunk.ngpus}`);
      if (chunk.resources.some(([name]) => name === 'mem')) amounts.push(`mem=${chunk.memKb}kb`);
      vnodes.push(`(${node.name}:${amounts.join(':')})`);
      node.used.ncpus += chunk.ncpus;
      node.used.ngpus += chunk.ngpus;
      node.used.memKb += chunk.memKb;
      node.used.tasks += 1;
    }
    const now = new Date();
    job.allocations = placement;
    job.execHost = hosts.join('+');
    job.execVnode = vnodes.join('+');
    job.state = 'R';
    job.substate = SUBSTATE.running;
    job.stime = now;
    job.mtime = now;
    job.runCount += 1;
    job.comment = runComment(now, job.execVnode);
    this.spawnJob(job);
    if (job.walltimeSec !== undefined) {
      const runId = job.runCount;
      this.after(job.walltimeSec, job.timeScale, () => {
        if (job.state === 'R' && job.runCount === runId) this.kill(job, 'walltime');
      });
    }
  }

  private spawnJob(job: SimJob): void {
    const firstNode = job.allocations[0].node;
    const scriptPath = join(this.spoolDir, `${job.id}.SC`);
    const nodeFile = join(this.spoolDir, `${job.id}.NF`);
    writeFileSync(scriptPath, job.script, { mode: 0o700 });
    writeFileSync(nodeFile, job.allocations.map(({ node }) => `${node.name}\n`).join(''));
    const env: Record<string, string> = {
      ...Object.fromEntries(job.variableList),
      HOME: job.home,
      USER: this.options.user,
      LOGNAME: this.options.user,
      SHELL: '/bin/bash',
      PATH: `${this.options.nodeBinDir}:/usr/local/bin:/usr/bin:/bin`,
    };
    for (const [name, value] of job.variableList) if (!name.startsWith('PBS_O_')) env[name] = value;
    Object.assign(env, {
      PBS_JOBID: job.id,
      PBS_JOBNAME: job.name,
      PBS_QUEUE: job.queue,
      PBS_O_WORKDIR: job.workdir,
      PBS_O_HOME: job.home,
      PBS_O_HOST: job.submitHost,
      PBS_ENVIRONMENT: 'PBS_BATCH',
      PBS_NODEFILE: nodeFile,
      VSWEEP_SIM_NODE: firstNode.name,
      VSWEEP_SIM_NODE_ADDR: firstNode.address,
    });
    // While running, output lives in the spool (as on the MoM); it is staged to Output_Path at the end.
    const stdoutFd = openSync(join(this.spoolDir, `${job.id}.OU`), 'w');
    const stderrFd = job.joinPath === 'oe' ? stdoutFd : openSync(join(this.spoolDir, `${job.id}.ER`), 'w');
    const child = spawn('bash', [scriptPath], {
      cwd: job.workdir,
      env,
      detached: true, // own process group, so qdel can signal the whole job
      stdio: ['ignore', stdoutFd, stderrFd],
    });
    closeSync(stdoutFd);
    if (stderrFd !== stdoutFd) closeSync(stderrFd);
    job.process = child;
    job.sessionId = child.pid;
    job.exited = new Promise((resolve) => {
      let done = false;
      const finish = (exitStatus: number) => {
        if (done) return;
        done = true;
        this.onProcessExit(job, child, exitStatus);
        resolve();
      };
      child.on('error', () => finish(-1)); // JOB_EXEC_FAIL1: e.g. the working directory is missing
      child.on('exit', (code, signal) =>
        finish(code ?? 256 + (signal ? (osConstants.signals[signal] ?? 0) : 0)),
      );
    });
  }

  private signal(job: SimJob, signal: NodeJS.Signals): void {
    const pid = job.process?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  }

  private onProcessExit(job: SimJob, child: ChildProcess, exitStatus: number): void {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL'); // MoM kills what the script left behind in its session
      } catch {
        // nothing left
      }
    }
    job.process = undefined;
    job.exitStatus = job.forcedExitStatus ?? exitStatus;
    job.endReason ??= job.exitStatus === 0 ? 'finished' : 'failed';
    job.state = 'E';
    job.substate = SUBSTATE.exiting;
    job.endedAtMs = Date.now();
    job.mtime = new Date();
    this.stageOut(job);
    for (const { node, chunk } of job.allocations) {
      node.used.ncpus -= chunk.ncpus;
      node.used.ngpus -= chunk.ngpus;
      node.used.memKb -= chunk.memKb;
      node.used.tasks -= 1;
    }
    this.schedule();
    this.after(this.options.exitingSec, job.timeScale, () => this.finish(job));
  }

  private stageOut(job: SimJob): void {
    const copies: [string, string][] = [[`${job.id}.OU`, job.outputFile as string]];
    if (job.joinPath !== 'oe') copies.push([`${job.id}.ER`, job.errorFile as string]);
    for (const [spoolName, destination] of copies) {
      const source = join(this.spoolDir, spoolName);
      try {
        if (existsSync(source)) copyFileSync(source, destination);
      } catch {
        // real PBS mails the user and keeps the file in undelivered/; the sim just drops it
      }
    }
  }

  private finish(job: SimJob): void {
    if (job.state === 'F') return;
    const reason = job.endReason ?? 'terminated';
    if (job.stime) job.comment = `${job.comment ?? ''}${END_COMMENT[reason]}`;
    job.state = 'F';
    job.substate =
      reason === 'finished'
        ? SUBSTATE.finished
        : reason === 'terminated'
          ? SUBSTATE.terminated
          : SUBSTATE.failed;
    job.mtime = new Date();
    job.historyTimestampSec = Math.floor(Date.now() / 1000);
    if (!this.options.historyEnabled) this.jobs.delete(job.seq);
  }

  /** qdel: 'finished' and 'wrong-state' are PBS's 35 and 168. */
  delete(job: SimJob, force: boolean): 'ok' | 'finished' | 'wrong-state' {
    if (job.state === 'F') return 'finished';
    if (job.state === 'Q') {
      job.endReason = 'terminated';
      this.finish(job);
      return 'ok';
    }
    if (job.state === 'E' && !force) return 'wrong-state';
    if (job.state === 'E' && !job.process) {
      this.finish(job); // force: skip the rest of the exiting phase
      return 'ok';
    }
    job.endReason ??= 'terminated';
    this.terminate(job, force ? 'SIGKILL' : 'SIGTERM');
    return 'ok';
  }

  /** MoM's kill sequence: SIGTERM, then SIGKILL after kill_delay; the job shows E meanwhile. */
  private terminate(job: SimJob, first: 'SIGTERM' | 'SIGKILL'): void {
    job.state = 'E';
    job.substate = SUBSTATE.exiting;
    job.mtime = new Date();
    this.signal(job, first);
    if (first === 'SIGTERM')
      this.after(this.options.killDelaySec, job.timeScale, () => this.signal(job, 'SIGKILL'));
  }

  /** Simulate a failure of a running job; returns false when the job is not running. */
  kill(job: SimJob, reason: KillReason): boolean {
    if (!job.process) return false;
    if (reason === 'walltime') {
      job.endReason = 'walltime';
      job.forcedExitStatus = EXIT_KILL_WALLTIME;
      this.terminate(job, 'SIGTERM');
    } else if (reason === 'mem') {
      job.endReason = 'mem';
      job.forcedExitStatus = EXIT_KILL_MEM;
      this.terminate(job, 'SIGKILL');
    } else {
      job.endReason = 'failed';
      this.terminate(job, 'SIGKILL');
    }
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const running = [...this.jobs.values()].filter((job) => job.process);
    for (const job of running) this.signal(job, 'SIGKILL');
    await Promise.all(running.map((job) => job.exited));
  }
}
