// What a shim sends to the simulated PBS server over control.sock, and what it gets back (one JSON line each).

export type PbsCommandName = 'qsub' | 'qstat' | 'qdel' | 'qselect';

export interface SimRequest {
  command: PbsCommandName;
  args: string[];
  cwd: string;
  /** The caller's environment: qsub reads `-v NAME` values and PBS_O_* from it. */
  env: Record<string, string>;
  /** qsub's script when no script file was named. */
  stdin?: string;
}

export interface SimResponse {
  stdout: string;
  stderr: string;
  code: number;
}
