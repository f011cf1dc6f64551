// Render the batch script that runs one model server: everything quoted, nothing from the spec raw.
import { shJoin, shQuote } from '../lib/shell';
import { flagArgs, type ServerConfigPlan } from '../plan/plan';

export interface JobScriptInput {
  sweepId: string;
  config: ServerConfigPlan;
  /** The server command (`vllm` or a path) and its port. */
  command: string;
  port: number;
  /** Run directory on the cluster, relative to $HOME unless absolute. */
  runDir: string;
  /** Shell lines from the spec (module load ...), run before the server starts. */
  setup: string[];
}

/** Files the job writes in its run directory; the controller reads them over the transport. */
export const RUN_FILES = {
  log: 'server.log',
  endpoint: 'endpoint',
} as const;

export function runDirFor(workDir: string, sweepId: string, configKey: string): string {
  return `${workDir.replace(/\/+$/, '')}/${sweepId}/${configKey}`;
}

/** `$HOME`-relative paths become absolute inside the job, so the script works from any cwd. */
function inHome(path: string): string {
  return path.startsWith('/') ? shQuote(path) : `"$HOME"/${shQuote(path)}`;
}

export function renderJobScript(input: JobScriptInput): string {
  const { config } = input;
  const serve = shJoin([
    input.command,
    'serve',
    config.model,
    '--port',
    String(input.port),
    ...flagArgs(config.flags),
  ]);
  const envLines = Object.entries(config.env).map(([k, v]) => `export ${k}=${shQuote(v)}`);
  return [
    '#!/bin/bash',
    `# vsweep: sweep ${input.sweepId}, server config ${config.key} (experiments ${config.label})`,
    `RUN_DIR=${inHome(input.runDir)}`,
    'mkdir -p "$RUN_DIR"',
    `exec >>"$RUN_DIR/${RUN_FILES.log}" 2>&1`,
    // The first line tells the worker the job started, where and when (ms, UTC), without asking qstat.
    'echo "vsweep: job ${PBS_JOBID:-?} on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"',
    // Where the server listens: node name and port, read by the controller to reach it.
    `printf '%s %s\\n' "$(hostname)" ${input.port} >"$RUN_DIR/${RUN_FILES.endpoint}"`,
    ...input.setup,
    ...envLines,
    `exec ${serve}`,
    '',
  ].join('\n');
}
