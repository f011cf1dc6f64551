// Shared by the simulated PBS tests: start a sim in a temp dir, run shell commands against it, poll.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobFromRecord, type PbsJob } from '../../../src/scheduler/pbs/model';
import { parseQstatJson } from '../../../src/scheduler/pbs/qstat-json';
import { startPbsSim, type PbsSim, type PbsSimOptions } from '../../../src/sim/pbs/server';
import { LocalShellTransport } from '../../../src/transport/local';

/** Every simulated duration in test jobs runs 100x faster (queue wait 30-100 ms, kill_delay 100 ms). */
export const FAST = 'VSWEEP_TIME_SCALE=0.01';

export interface TestSim {
  sim: PbsSim;
  workDir: string;
  shell: LocalShellTransport;
  close(): Promise<void>;
}

export async function startTestSim(options: Partial<PbsSimOptions> = {}): Promise<TestSim> {
  const root = mkdtempSync(join(tmpdir(), 'pbssim-'));
  const workDir = join(root, 'work');
  const nodeBinDir = join(root, 'nodebin');
  mkdirSync(workDir);
  mkdirSync(nodeBinDir);
  const sim = await startPbsSim({ dir: join(root, 'state'), nodeBinDir, ...options });
  return {
    sim,
    workDir,
    shell: new LocalShellTransport({ cwd: workDir, pathPrepend: [sim.binDir], env: { USER: 'alice' } }),
    async close() {
      await sim.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Poll until `probe` returns a value (not undefined); fails after `timeoutMs` with the last value seen. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** One job as `qstat -x -f -F json` reports it, or undefined when unknown. */
export async function qstatJob(shell: LocalShellTransport, jobId: string): Promise<PbsJob | undefined> {
  const result = await shell.exec(`qstat -x -f -F json ${jobId}`);
  const record = parseQstatJson(result.stdout).records[0];
  return record && jobFromRecord(record);
}

/** Wait until the job reaches `state`; returns its attributes then. */
export function waitForState(
  shell: LocalShellTransport,
  jobId: string,
  state: string,
  timeoutMs?: number,
): Promise<PbsJob> {
  return waitFor(
    `${jobId} in state ${state}`,
    async () => {
      const job = await qstatJob(shell, jobId);
      return job?.state === state ? job : undefined;
    },
    timeoutMs,
  );
}
