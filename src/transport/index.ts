// Build transports from config, and share one per distinct config (one SSH connection per host).

import { LocalShellTransport, type LocalShellOptions } from './local';
import { SshTransport, type SshTransportOptions } from './ssh';
import type { Transport } from './types';

export type SshTransportConfig = { kind: 'ssh' } & Omit<SshTransportOptions, 'logger'>;
export type LocalTransportConfig = { kind: 'local' } & LocalShellOptions;
export type TransportConfig = SshTransportConfig | LocalTransportConfig;

export interface TransportDeps {
  logger?: SshTransportOptions['logger'];
}

export function createTransport(config: TransportConfig, deps: TransportDeps = {}): Transport {
  switch (config.kind) {
    case 'ssh': {
      const { kind: _kind, ...options } = config;
      return new SshTransport({ ...options, logger: deps.logger });
    }
    case 'local': {
      const { kind: _kind, ...options } = config;
      return new LocalShellTransport(options);
    }
  }
}

/** JSON with sorted keys, so `{a,b}` and `{b,a}` name the same transport. */
export function transportKey(config: TransportConfig): string {
  const sorted = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sorted);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, v]) => [k, sorted(v)]),
      );
    }
    return value;
  };
  return JSON.stringify(sorted(config));
}

export class TransportPool {
  private readonly transports = new Map<string, Transport>();

  constructor(
    private readonly deps: TransportDeps = {},
    private readonly create: (config: TransportConfig, deps: TransportDeps) => Transport = createTransport,
  ) {}

  /** The shared transport for this config, created on first use. */
  get(config: TransportConfig): Transport {
    const key = transportKey(config);
    let transport = this.transports.get(key);
    if (!transport) {
      transport = this.create(config, this.deps);
      this.transports.set(key, transport);
    }
    return transport;
  }

  get size(): number {
    return this.transports.size;
  }

  /** Close every transport; failures of one do not keep the others open. */
  async closeAll(): Promise<void> {
    const all = [...this.transports.values()];
    this.transports.clear();
    await Promise.allSettled(all.map((t) => t.close()));
  }
}

export { LocalShellTransport, SshTransport };
export type { LocalShellOptions, SshTransportOptions };
export { TransportAuthFailed } from './errors';
export type { ExecOptions, ExecResult, Transport, Tunnel } from './types';
