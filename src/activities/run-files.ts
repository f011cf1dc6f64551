// The files a job writes in its run directory, read over the transport in one round trip: how the
// worker learns, without polling qstat, that a job started, where its server listens, and how it is doing.
import { RUN_FILES } from '../jobs/job-script';
import { shQuote } from '../lib/shell';
import type { Transport } from '../transport/types';

export interface RunFiles {
  log: string;
  /** Node name the server runs on (from the endpoint file), once the job has started. */
  endpointHost?: string;
}

const SEPARATOR = '<<vsweep-log>>';

export async function readRunFiles(transport: Transport, runDir: string, logLines = 400): Promise<RunFiles> {
  const dir = runDir.startsWith('/') ? shQuote(runDir) : `"$HOME"/${shQuote(runDir)}`;
  // Touching the alive file tells the job's watchdog that its controller still lives.
  const res = await transport.exec(
    `touch ${dir}/${RUN_FILES.alive} 2>/dev/null; cat ${dir}/${RUN_FILES.endpoint} 2>/dev/null; echo '${SEPARATOR}'; ` +
      `head -n 1 ${dir}/${RUN_FILES.log} 2>/dev/null; echo '${SEPARATOR}'; tail -n ${logLines} ${dir}/${RUN_FILES.log} 2>/dev/null; true`,
  );
  const [endpoint = '', first = '', log = ''] = res.stdout.split(`${SEPARATOR}\n`);
  const [host] = endpoint.trim().split(/\s+/);
  // The log's first line survives even when the tail has scrolled past it.
  return { log: log.startsWith(first) ? log : first + log, endpointHost: host || undefined };
}

export interface JobStart {
  host: string;
  atMs: number;
}

/** The job script's first line: `vsweep: job <id> on <host> at <UTC ISO time>`, for this job id
 * (a run directory may hold the lines of an earlier job of the same configuration). */
export function parseJobStart(log: string, jobId: string): JobStart | undefined {
  const line = log.split('\n').find((l) => l.startsWith(`vsweep: job ${jobId} on `));
  const m = line && / on (\S+) at (\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(line);
  if (!m) return undefined;
  const atMs = Date.parse(m[2]);
  return Number.isFinite(atMs) ? { host: m[1], atMs } : undefined;
}
