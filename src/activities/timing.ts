// Poll intervals in real milliseconds, scaled for the simulator and floored so nothing spins.
import type { ClusterSpec } from '../spec/schema';

/** How often to ask the scheduler (a shared resource: default 30 s, as admins expect). */
export function pollIntervalMs(cluster: ClusterSpec, timeScale: number): number {
  return Math.max(200, cluster.pollIntervalSec * timeScale * 1000);
}

/** How often to look at the server itself (its log and /health): cheap, so every 2 s. */
export function probeIntervalMs(timeScale: number): number {
  return Math.max(50, 2000 * timeScale);
}
