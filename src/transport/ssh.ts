// Transport over one lazily opened, self-healing ssh2 connection to the login node.

import { homedir } from 'os';
import { join } from 'path';
import pino, { type Logger } from 'pino';
import type { Client } from 'ssh2';
import { TransportUnavailable, type VsweepError } from '../lib/errors';
import { ConcurrencyLimiter } from './limiter';
import { connectSsh, type SshConnectSettings } from './ssh-connect';
import { runOnChannel } from './ssh-exec';
import { openSshTunnel } from './ssh-tunnel';
import type { ExecOptions, ExecResult, Transport, Tunnel } from './types';

export interface SshTransportOptions {
  host: string;
  port?: number;
  username: string;
  /** Path of the private key; read at connect time, never logged. */
  identityFile: string;
  /** Name of the environment variable holding the key's passphrase (the value is never logged). */
  passphraseEnv?: string;
  /** Default `~/.ssh/known_hosts`. */
  knownHostsFile?: string;
  /** When false, an unknown host key is accepted (and logged); a changed key is still refused. */
  strictHostKeyChecking?: boolean;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Channels in flight at once; OpenSSH's MaxSessions is 10 per connection. */
  maxConcurrentExecs?: number;
  connectTimeoutMs?: number;
  /** Tries per (re)connect before giving up with TransportUnavailable. */
  connectAttempts?: number;
  /** First backoff delay between connect attempts; doubles each time. */
  reconnectBackoffMs?: number;
  /** Tunnel destinations to rewrite before the login node resolves them, e.g. `{ 'gpu-7': '10.0.0.7' }`. */
  hostAliases?: Record<string, string>;
  logger?: Logger;
}

const MAX_BACKOFF_MS = 8000;
const CLOSE_GRACE_MS = 1000;

export class SshTransport implements Transport {
  readonly description: string;
  private readonly settings: SshConnectSettings;
  private readonly limiter: ConcurrencyLimiter;
  private readonly connectAttempts: number;
  private readonly reconnectBackoffMs: number;
  private readonly hostAliases: Record<string, string>;
  private readonly log: Logger;
  private connecting?: Promise<Client>;
  /** The connected client, until its socket closes. */
  private live?: Client;
  private readonly tunnels = new Set<Tunnel>();
  private closed = false;

  constructor(options: SshTransportOptions) {
    const port = options.port ?? 22;
    this.description = `${options.username}@${options.host}:${port}`;
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ host: options.host, port });
    this.settings = {
      host: options.host,
      port,
      username: options.username,
      identityFile: options.identityFile,
      passphraseEnv: options.passphraseEnv,
      knownHostsFile: options.knownHostsFile ?? join(homedir(), '.ssh', 'known_hosts'),
      strictHostKeyChecking: options.strictHostKeyChecking ?? true,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15000,
      keepaliveCountMax: options.keepaliveCountMax ?? 4,
      connectTimeoutMs: options.connectTimeoutMs ?? 20000,
      onUnknownHostKeyAccepted: (fingerprint) =>
        this.log.warn({ fingerprint }, 'accepted an unknown host key (strictHostKeyChecking is off)'),
    };
    this.limiter = new ConcurrencyLimiter(options.maxConcurrentExecs ?? 4);
    this.connectAttempts = options.connectAttempts ?? 3;
    this.reconnectBackoffMs = options.reconnectBackoffMs ?? 250;
    this.hostAliases = options.hostAliases ?? {};
  }

  /** Execs now holding a channel (never more than maxConcurrentExecs). */
  get activeExecs(): number {
    return this.limiter.active;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.limiter.run(async () =>
      runOnChannel(await this.client(), command, options, this.description),
    );
  }

  async openTunnel(host: string, port: number): Promise<Tunnel> {
    await this.client(); // surface auth and host key problems now, not on the first connection
    const target = this.hostAliases[host] ?? host;
    const tunnel = await openSshTunnel(() => this.client(), target, port, this.log);
    const untracked: Tunnel = {
      ...tunnel,
      close: async () => {
        this.tunnels.delete(untracked);
        await tunnel.close();
      },
    };
    this.tunnels.add(untracked);
    return untracked;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.tunnels].map((t) => t.close()));
    await this.connecting?.catch(() => undefined);
    this.connecting = undefined;
    if (this.live) await endClient(this.live);
  }

  /** The live connection, opening one (with backoff) if there is none. */
  private client(): Promise<Client> {
    if (this.closed)
      return Promise.reject(new TransportUnavailable(`${this.description} transport is closed`));
    if (!this.connecting) {
      const attempt = this.connectWithBackoff();
      this.connecting = attempt;
      attempt.then(
        (client) => this.watch(client, attempt),
        () => {
          if (this.connecting === attempt) this.connecting = undefined;
        },
      );
    }
    return this.connecting;
  }

  /** Forget a connection once it drops, so the next call reconnects. */
  private watch(client: Client, attempt: Promise<Client>): void {
    this.log.info('ssh connected');
    this.live = client;
    client.on('error', (err) => this.log.warn({ err: err.message }, 'ssh connection error'));
    client.once('close', () => {
      if (this.live === client) this.live = undefined;
      if (this.connecting === attempt) this.connecting = undefined;
      if (!this.closed) this.log.warn('ssh connection dropped; will reconnect on next use');
    });
    if (this.closed) client.end();
  }

  private async connectWithBackoff(): Promise<Client> {
    let delayMs = this.reconnectBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await connectSsh(this.settings);
      } catch (err) {
        const retryable = (err as VsweepError).retryable === true;
        if (!retryable || attempt >= this.connectAttempts || this.closed) throw err;
        this.log.warn({ attempt, delayMs, err: (err as Error).message }, 'ssh connect failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, MAX_BACKOFF_MS);
      }
    }
  }
}

/** Say goodbye politely, but do not wait on a dead link longer than CLOSE_GRACE_MS. */
function endClient(client: Client): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => client.destroy(), CLOSE_GRACE_MS);
    client.once('close', () => {
      clearTimeout(force);
      resolve();
    });
    client.end();
  });
}
