// The login node's qsub/qstat/qdel/qselect: forwards argv, cwd, env (and qsub's stdin) to the simulated server.
// Usage (from the shims in <dir>/bin): node client.js <socketPath> <serverName> <command> [args...]
import { connect } from 'node:net';
import { qsubScriptOperand } from './commands';
import type { PbsCommandName, SimRequest, SimResponse } from './protocol';

const COMMANDS: readonly string[] = ['qsub', 'qstat', 'qdel', 'qselect'];
/** PBSE_SYSTEM & 0xFF: what real commands exit with when the server is unreachable. */
const EXIT_CANNOT_CONNECT = 162;

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of process.stdin) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function call(socketPath: string, request: SimRequest): Promise<SimResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(JSON.parse(reply) as SimResponse);
      } catch (error) {
        reject(error);
      }
    });
  });
}

async function main(): Promise<void> {
  const [socketPath, serverName, command, ...args] = process.argv.slice(2);
  if (!COMMANDS.includes(command)) {
    process.stderr.write(`pbs-sim client: unknown command ${command}\n`);
    process.exitCode = 2;
    return;
  }
  const request: SimRequest = {
    command: command as PbsCommandName,
    args,
    cwd: process.cwd(),
    env: Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
  };
  // Real qsub reads the script from stdin only when no script file is named.
  if (command === 'qsub' && qsubScriptOperand(args) === undefined) request.stdin = await readStdin();
  try {
    const response = await call(socketPath, request);
    process.stdout.write(response.stdout);
    process.stderr.write(response.stderr);
    process.exitCode = response.code;
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).errno ?? 111;
    process.stderr.write(`${command}: cannot connect to server ${serverName} (errno=${Math.abs(errno)})\n`);
    process.exitCode = EXIT_CANNOT_CONNECT;
  }
}

void main();
