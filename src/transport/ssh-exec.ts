// Run one command on an exec channel; an outcome without an exit status is reported as `code: null`.

import type { Client, ClientChannel } from 'ssh2';
import { TransportUnavailable } from '../lib/errors';
import type { ExecOptions, ExecResult } from './types';

/** `undefined` when the link died after the exec request went out: the command may have started. */
function openExecChannel(
  client: Client,
  command: string,
  description: string,
): Promise<ClientChannel | undefined> {
  return new Promise((resolve, reject) => {
    let dropped = false;
    const onClose = (): void => {
      dropped = true;
    };
    client.once('close', onClose); // emitted before ssh2 fails the pending callbacks
    const fail = (err: Error): void => {
      client.removeListener('close', onClose);
      // ssh2 says "Unable to exec" when the exec request got no reply; with a dead link that is unknown.
      if (dropped && err.message === 'Unable to exec') return resolve(undefined);
      const message = `Cannot start a command on ${description} (it did not run): ${err.message}`;
      reject(new TransportUnavailable(message, {}, { cause: err }));
    };
    try {
      client.exec(command, (err, channel) => {
        if (err) return fail(err);
        client.removeListener('close', onClose);
        resolve(channel);
      });
    } catch (err) {
      fail(err as Error); // ssh2 throws "Not connected" when the socket just died
    }
  });
}

/**
 * Write stdin (then EOF), collect output, and settle on channel close. Timeout or a dropped connection
 * before `exit-status` yields `code: null`: the command may or may not have run to completion.
 */
export async function runOnChannel(
  client: Client,
  command: string,
  options: ExecOptions,
  description: string,
): Promise<ExecResult> {
  const channel = await openExecChannel(client, command, description);
  if (!channel) return { stdout: '', stderr: '', code: null };
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let exit: { code: number | null; signal?: string } | undefined;

  return new Promise<ExecResult>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const result: ExecResult = {
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        code: exit?.code ?? null,
      };
      if (exit?.signal) result.signal = exit.signal;
      resolve(result);
    };

    channel.on('data', (chunk: Buffer) => stdout.push(chunk));
    channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    channel.on('exit', (code: number | null, signal?: string) => {
      exit = signal ? { code: null, signal } : { code };
    });
    channel.on('error', () => undefined); // a close follows; the outcome is decided there
    channel.on('close', settle);

    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        // Ask the far side to kill it, close our end, and answer now: a hung link may never confirm.
        try {
          channel.signal('KILL');
          channel.close();
        } catch {
          /* connection already gone */
        }
        settle();
      }, options.timeoutMs);
    }

    if (options.stdin !== undefined) channel.write(options.stdin);
    channel.end(); // EOF, so commands that read stdin (cat, qsub -) do not wait forever
  });
}
