// Long-running commands: the Temporal dev server, the simulated cluster and the worker.
import { join, resolve } from 'node:path';
import { stateDir } from '../lib/paths';
import { startSimCluster } from '../sim/cluster';
import { startDevServer } from '../temporal/devserver';
import { startWorker } from '../worker';

/** Resolve on SIGINT/SIGTERM so foreground commands stop cleanly (jobs deleted, files flushed). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => resolve(sig);
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

export async function runServer(opts: { port: string; uiPort: string; db?: string }): Promise<void> {
  const dbFile = resolve(opts.db ?? join(stateDir(), 'temporal.db'));
  const server = await startDevServer({
    port: Number(opts.port),
    uiPort: Number(opts.uiPort),
    dbFile,
    logFile: join(stateDir(), 'logs', 'temporal.log'),
  });
  console.log(`Temporal dev server on ${server.address} (Web UI ${server.uiUrl}); database ${dbFile}`);
  console.log('Ctrl-C stops it; workflows stay in the database.');
  await untilSignal();
  await server.stop();
}

export async function runSim(opts: { dir?: string; port: string }): Promise<void> {
  const sim = await startSimCluster({
    dir: opts.dir ? resolve(opts.dir) : join(stateDir(), 'sim'),
    sshPort: Number(opts.port),
  });
  console.log(`Simulated PBS cluster: ssh ${sim.user}@127.0.0.1 -p ${sim.sshPort}`);
  console.log(`  OpenSSH config: ssh -F ${sim.sshConfigFile} vsweep-sim qstat -x -f -F json`);
  console.log(`  identity file ${sim.identityFile}, known_hosts ${sim.knownHostsFile}`);
  console.log('Ctrl-C stops it (running jobs are killed).');
  await untilSignal();
  await sim.close();
}

export async function runWorker(opts: {
  address: string;
  namespace: string;
  taskQueue: string;
}): Promise<void> {
  const worker = await startWorker(opts);
  console.log(`worker polling task queue ${opts.taskQueue} on ${opts.address}; Ctrl-C stops it`);
  await Promise.race([untilSignal(), worker.done]);
  await worker.shutdown();
}
