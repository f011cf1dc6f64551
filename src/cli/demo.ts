// `vsweep demo`: start whatever is not running (Temporal, the simulated cluster, a worker), run the
// simulator spec, print the report, and stop what it started.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectClient, getSweepResult, startSweep } from '../client';
import { projectRoot, stateDir } from '../lib/paths';
import { renderMarkdown } from '../report/markdown';
import { startSimCluster } from '../sim/cluster';
import { loadSpecFile } from '../spec/load';
import { isServing, startDevServer } from '../temporal/devserver';
import { startWorker } from '../worker';
import { applyOverrides } from './overrides';
import { followSweep } from './progress';
import { untilSignal } from './services';

export interface DemoOptions {
  spec: string;
  fixedLoadTimeout?: string;
  out?: string;
  address: string;
  namespace: string;
  taskQueue: string;
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const say = (line: string) => console.log(`vsweep demo: ${line}`);
  const stops: (() => Promise<void>)[] = [];
  try {
    let address = opts.address;
    if (await isServing(address)) {
      say(`using the Temporal server at ${address}`);
    } else {
      const [host, port] = address.split(':');
      const server = await startDevServer({
        ip: host,
        port: Number(port),
        dbFile: join(stateDir(), 'temporal.db'),
        logFile: join(stateDir(), 'logs', 'temporal.log'),
      });
      stops.push(() => server.stop());
      address = server.address;
      say(`started the Temporal dev server at ${address}; Web UI ${server.uiUrl}`);
    }

    const specFile = resolve(projectRoot(), opts.spec);
    const spec = applyOverrides(loadSpecFile(specFile), opts);
    if (spec.cluster.access.kind !== 'ssh')
      throw new Error(`${opts.spec}: the demo expects an ssh cluster (the simulator)`);
    const sim = await startSimCluster({ dir: join(stateDir(), 'sim'), sshPort: spec.cluster.access.port });
    stops.unshift(() => sim.close());
    say(
      `simulated PBS cluster on ssh://127.0.0.1:${sim.sshPort} (try: ssh -F ${sim.sshConfigFile} vsweep-sim qstat -x)`,
    );

    say('starting a worker (bundling the workflow code takes a few seconds)...');
    const worker = await startWorker({ address, namespace: opts.namespace, taskQueue: opts.taskQueue });
    stops.unshift(() => worker.shutdown());

    const client = await connectClient(address, opts.namespace);
    const sweepId = await startSweep(client, spec, { taskQueue: opts.taskQueue });
    say(
      `sweep ${sweepId} started (${spec.timeScale === 1 ? 'real time' : `time scale ${spec.timeScale}`}); progress:`,
    );
    const watching = new AbortController();
    const outcome = await Promise.race([
      followSweep(client, sweepId, undefined, watching.signal).then(() => 'done' as const),
      untilSignal(),
    ]);
    watching.abort();
    if (outcome !== 'done') {
      // Ctrl-C: cancel the sweep so every workflow deletes its job, wait for that, then stop.
      say(`${outcome}: cancelling ${sweepId}; its jobs are being deleted...`);
      const handle = client.workflow.getHandle(sweepId);
      await handle.cancel();
      await handle.result().catch(() => undefined);
      await client.connection.close();
      return;
    }
    const report = renderMarkdown(await getSweepResult(client, sweepId));
    const reportFile = resolve(opts.out ?? join(stateDir(), 'reports', `${sweepId}.md`));
    mkdirSync(resolve(reportFile, '..'), { recursive: true });
    writeFileSync(reportFile, report);
    process.stdout.write('\n' + report);
    say(
      `report saved to ${reportFile}; \`vsweep report ${sweepId}\` prints it again while the server keeps it`,
    );
    await client.connection.close();
  } finally {
    for (const stop of stops)
      await stop().catch((err: unknown) => say(`stopping: ${(err as Error).message}`));
  }
}
