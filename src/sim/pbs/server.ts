// Start the simulated OpenPBS server: job state in memory, shims in <dir>/bin talking over <dir>/control.sock.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { shQuote } from '../../lib/shell';
import { jobFromRecord, type PbsJob } from '../../scheduler/pbs/model';
import { PbsCluster, type KillReason, type SimNode } from './cluster';
import { qdel, qselect, qstat, qsub, type CommandContext } from './commands';
import type { SimRequest, SimResponse } from './protocol';
import { jobRecord } from './render';

export interface PbsSimOptions {
  /** Sim state directory: control.sock, bin/, spool/. */
  dir: string;
  /** Directory put first on every job's PATH (the compute node's tools). */
  nodeBinDir: string;
  serverName?: string;
  user?: string;
  loginHost?: string;
  /** Node names; each has 64 cpus, 8 GPUs and 500 GB. Default hopper-30 .. hopper-49. */
  nodes?: string[];
  historyEnabled?: boolean;
  queues?: string[];
  /** Simulated seconds before the scheduler looks at a new job; default [3, 10]. */
  queueWaitSec?: [number, number];
  /** Simulated seconds a job spends in E after its script ends; default 1. */
  exitingSec?: number;
  /** Queue kill_delay: SIGTERM -> SIGKILL, simulated seconds; default 10. */
  killDelaySec?: number;
  /** Largest walltime the queue accepts; default 48 h. */
  maxWalltimeSec?: number;
  random?: () => number;
  /** First three octets of the nodes' loopback addresses (default `127.0.1.`); give every simulator
   * running on one machine its own, or their servers' ports collide. */
  nodeAddressPrefix?: string;
}

export interface PbsSim {
  socketPath: string;
  binDir: string;
  /** The loopback address a node's jobs listen on, e.g. `127.0.1.46` for hopper-46. */
  nodeAddress(host: string): string;
  jobs(): PbsJob[];
  /** Simulate a failure of a running job; false when it is not running. */
  killJob(jobId: string, reason: KillReason): boolean;
  close(): Promise<void>;
}

const NODE_CPUS = 64;
const NODE_GPUS = 8;
const NODE_MEM_KB = 500 * 1024 * 1024;
const SOCKET_PATH_MAX_BYTES = 107; // sun_path on Linux, minus the terminator
const SEQ_FILE = 'next-seq';

const defaultNodes = () => Array.from({ length: 20 }, (_, i) => `hopper-${30 + i}`);

/** Trailing number of the name when every node has a distinct one in 1..254, else the node's index + 1. */
function nodeAddresses(names: readonly string[], prefix = '127.0.1.'): string[] {
  const numbers = names.map((name) => Number(/(\d+)$/.exec(name)?.[1] ?? NaN));
  const usable = numbers.every((n) => n >= 1 && n <= 254) && new Set(numbers).size === numbers.length;
  return names.map((_, i) => `${prefix}${usable ? numbers[i] : i + 1}`);
}

function writeShims(binDir: string, socketPath: string, serverName: string): void {
  const clientPath = join(__dirname, 'client.js');
  for (const command of ['qsub', 'qstat', 'qdel', 'qselect']) {
    const exec = [process.execPath, clientPath, socketPath, serverName, command].map(shQuote).join(' ');
    const shim = join(binDir, command);
    writeFileSync(shim, `#!/bin/sh\nexec ${exec} "$@"\n`);
    chmodSync(shim, 0o755);
  }
}

function serve(context: CommandContext, request: SimRequest): SimResponse {
  switch (request.command) {
    case 'qsub':
      return qsub(context, request);
    case 'qstat':
      return qstat(context, request);
    case 'qdel':
      return qdel(context, request);
    case 'qselect':
      return qselect(context, request);
    default:
      return { stdout: '', stderr: `unknown command ${String(request.command)}\n`, code: 2 };
  }
}

function handleConnection(socket: Socket, context: CommandContext): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    const newline = buffer.indexOf('\n');
    if (newline < 0) return;
    let response: SimResponse;
    try {
      response = serve(context, JSON.parse(buffer.slice(0, newline)) as SimRequest);
    } catch (error) {
      response = { stdout: '', stderr: `pbs-sim: internal error: ${String(error)}\n`, code: 162 };
    }
    socket.end(`${JSON.stringify(response)}\n`);
  });
}

export async function startPbsSim(options: PbsSimOptions): Promise<PbsSim> {
  const dir = resolve(options.dir);
  const serverName = options.serverName ?? 'pbs-sim';
  const binDir = join(dir, 'bin');
  const socketPath = join(dir, 'control.sock');
  if (Buffer.byteLength(socketPath) > SOCKET_PATH_MAX_BYTES) {
    throw new Error(`sim state dir ${dir} is too long for a unix socket path; use a shorter one`);
  }
  mkdirSync(binDir, { recursive: true });
  const names = options.nodes ?? defaultNodes();
  const addresses = nodeAddresses(names, options.nodeAddressPrefix);
  const nodes: SimNode[] = names.map((name, i) => ({
    name,
    address: addresses[i],
    ncpus: NODE_CPUS,
    ngpus: NODE_GPUS,
    memKb: NODE_MEM_KB,
    used: { ncpus: 0, ngpus: 0, memKb: 0, tasks: 0 },
  }));
  // Job ids keep increasing across sim restarts on the same dir, like a real server's sequence.
  const seqFile = join(dir, SEQ_FILE);
  const firstSeq = existsSync(seqFile) ? Number(readFileSync(seqFile, 'utf8')) || 1000 : 1000;
  const user = options.user ?? 'alice';
  const cluster = new PbsCluster({
    dir,
    serverName,
    user,
    nodes,
    nodeBinDir: resolve(options.nodeBinDir),
    historyEnabled: options.historyEnabled ?? true,
    queueWaitSec: options.queueWaitSec ?? [3, 10],
    exitingSec: options.exitingSec ?? 1,
    killDelaySec: options.killDelaySec ?? 10,
    firstSeq,
    random: options.random ?? Math.random,
  });
  const context: CommandContext = {
    cluster,
    serverName,
    user,
    loginHost: options.loginHost ?? 'login01',
    queues: options.queues ?? ['gpu'],
    maxWalltimeSec: options.maxWalltimeSec ?? 48 * 3600,
    pbsVersion: '2024.1.2',
  };
  rmSync(socketPath, { force: true });
  const server: Server = createServer((socket) => {
    handleConnection(socket, context);
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(socketPath, () => resolveListen());
  });
  writeShims(binDir, socketPath, serverName);

  const addressByHost = new Map(nodes.map((node) => [node.name, node.address]));
  return {
    socketPath,
    binDir,
    nodeAddress(host: string): string {
      const address = addressByHost.get(host);
      if (address === undefined) throw new Error(`no simulated node named ${host}`);
      return address;
    },
    jobs(): PbsJob[] {
      const now = Date.now();
      return [...cluster.jobs.values()].flatMap(
        (job) => jobFromRecord(jobRecord(job, serverName, now)) ?? [],
      );
    },
    killJob(jobId: string, reason: KillReason): boolean {
      const { job } = cluster.find(jobId);
      return job !== undefined && cluster.kill(job, reason);
    },
    async close(): Promise<void> {
      writeFileSync(seqFile, String(cluster.nextSequence));
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await cluster.close();
      rmSync(socketPath, { force: true });
    },
  };
}
