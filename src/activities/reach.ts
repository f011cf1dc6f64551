// How the worker reaches a model server on a compute node: through the SSH connection (tunnel), or
// directly when the worker can route to the nodes (then `hostAliases` may rename them).
import type { ClusterSpec } from '../spec/schema';
import type { Transport, Tunnel } from '../transport/types';

export async function reachServer(
  cluster: ClusterSpec,
  transport: Transport,
  host: string,
  port: number,
): Promise<Tunnel> {
  if (cluster.serverAccess === 'direct') {
    return { host: cluster.hostAliases[host] ?? host, port, close: async () => undefined };
  }
  return transport.openTunnel(host, port);
}
