// The one interface every scheduler adapter talks through: run a command on the login node.

/** Outcome of one remote command. `code === null` means the outcome is unknown (the connection
 * dropped before an exit status arrived): callers must re-check state, never assume success or failure. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
}

export interface ExecOptions {
  /** Bytes written to the command's standard input, then closed. */
  stdin?: string;
  /** Abort the command after this long; the result is then `code: null`. */
  timeoutMs?: number;
}

/** A TCP path from this process to host:port as seen from the login node. */
export interface Tunnel {
  /** Local address to connect to instead of the remote one. */
  host: string;
  port: number;
  close(): Promise<void>;
}

export interface Transport {
  /** Human-readable target, e.g. `alice@login01:22` or `local shell`. Never includes secrets. */
  readonly description: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Reach host:port (resolved on the login node). The local shell returns the address unchanged. */
  openTunnel(host: string, port: number): Promise<Tunnel>;
  close(): Promise<void>;
}
