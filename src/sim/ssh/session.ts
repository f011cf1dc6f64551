// One SSH session on the simulated login node: `exec` runs `bash -c` like sshd does, nothing else.

import { spawn, type ChildProcess } from 'child_process';
import { constants } from 'os';
import type { ServerChannel, Session } from 'ssh2';

export interface SimShell {
  cwd: string;
  env: Record<string, string>;
}

// What sshd gives every session before the site's settings; deliberately not our own process.env.
const LOGIN_DEFAULT_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', SHELL: '/bin/bash' };

// Like OpenSSH's default AcceptEnv: only locale variables may be sent by the client.
const ACCEPTED_ENV = /^(LANG|LC_[A-Z_]+)$/;

/** Serve exec requests on this session; pty/shell/subsystem requests are refused. */
export function serveSession(session: Session, shell: SimShell): void {
  const requestedEnv: Record<string, string> = {};
  let child: ChildProcess | undefined;

  session.on('env', (accept, reject, info) => {
    if (!ACCEPTED_ENV.test(info.key)) return reject?.();
    requestedEnv[info.key] = info.val;
    accept?.();
  });
  session.on('pty', (_accept, reject) => reject?.());
  session.on('shell', (_accept, reject) => reject?.());
  session.on('subsystem', (_accept, reject) => reject?.());
  session.on('signal', (accept, _reject, info) => {
    if (child) killGroup(child, `SIG${info.name}`);
    accept?.();
  });
  session.on('exec', (accept, _reject, info) => {
    const channel = accept();
    child = runCommand(channel, info.command, shell.cwd, {
      ...LOGIN_DEFAULT_ENV,
      ...shell.env,
      ...requestedEnv,
    });
  });
}

function runCommand(channel: ServerChannel, command: string, cwd: string, env: Record<string, string>) {
  // detached: its own process group, so closing the channel kills the whole pipeline.
  const child = spawn('bash', ['-c', command], { cwd, env, detached: true });
  channel.pipe(child.stdin);
  child.stdin.on('error', () => undefined); // EPIPE when the command does not read stdin
  child.stdout.pipe(channel, { end: false });
  child.stderr.pipe(channel.stderr, { end: false });

  child.on('error', (err) => {
    channel.stderr.write(`bash: ${err.message}\n`);
    channel.exit(127);
    channel.end();
  });
  child.on('close', (code, signal) => {
    if (code !== null) channel.exit(code);
    else if (signal) sendExitSignal(channel, signal);
    channel.end();
  });
  // The client went away (or the connection dropped): do not leave the command running.
  channel.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGKILL');
  });
  return child;
}

/** ssh2 only knows the RFC 4254 signal names; report others the way a shell would (128+n). */
function sendExitSignal(channel: ServerChannel, signal: NodeJS.Signals): void {
  try {
    channel.exit(signal.replace(/^SIG/, ''), false, '');
  } catch {
    channel.exit(128 + (constants.signals[signal] ?? 0));
  }
}

function killGroup(child: ChildProcess, signal: string): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone, or an unknown signal name from the client */
  }
}
