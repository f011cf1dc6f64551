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
  /** Stop the server after this many real seconds without a sign of its controller (0 = never). */
  controllerSilenceSec: number;
}

/** Files the job writes in its run directory; the controller reads them over the transport. */
export const RUN_FILES = {
  log: 'server.log',
  endpoint: 'endpoint',
  /** Touched by the worker whenever it looks at the run: the job's proof that its controller lives. */
  alive: 'controller.alive',
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
    ...watchdog(input.controllerSilenceSec),
    ...input.setup,
    ...envLines,
    `exec ${serve}`,
    '',
  ].join('\n');
}

/**
 * A background loop that stops the server (SIGTERM, then SIGKILL) when neither the worker's touch of
 * the alive file nor the server's own log (requests being served) changed for `silenceSec`: a GPU job
 * never outlives a controller that died for good. `$$` is the server itself after `exec`.
 */
function watchdog(silenceSec: number): string[] {
  if (silenceSec <= 0) return [];
  const limit = Math.max(1, Math.ceil(silenceSec));
  const every = Math.max(1, Math.min(60, Math.floor(limit / 4)));
  return [
    `touch "$RUN_DIR/${RUN_FILES.alive}"`,
    '(',
    // Ends with the server (`kill -0`), so a recycled pid is never signalled later.
    `  while sleep ${every} && kill -0 $$ 2>/dev/null; do`,
    `    last=$(stat -c %Y "$RUN_DIR/${RUN_FILES.alive}" "$RUN_DIR/${RUN_FILES.log}" 2>/dev/null | sort -n | tail -n 1)`,
    `    if [ $(( $(date +%s) - \${last:-0} )) -gt ${limit} ]; then`,
    `      echo "vsweep: no sign of the controller for over ${limit} s; stopping the server"`,
    '      kill -TERM $$; sleep 30; kill -KILL $$ 2>/dev/null; exit 0',
    '    fi',
    '  done',
    ') &',
  ];
}
