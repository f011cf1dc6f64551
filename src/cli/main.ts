// `vsweep`: the command line. Prints for people; logs (pino) go to .vsweep/logs unless VSWEEP_LOG=stderr.
import { Command, Option } from 'commander';
import {
  cancelSweep,
  connectClient,
  DEFAULT_ADDRESS,
  DEFAULT_TASK_QUEUE,
  reapOrphans,
  scheduleJanitor,
  startSweep,
} from '../client';
import { VsweepError } from '../lib/errors';
import { renderMarkdown } from '../report/markdown';
import { loadSpecFile } from '../spec/load';
import { sweepSpecJsonSchema } from '../spec/schema';
import { applyOverrides } from './overrides';
import { runDemo } from './demo';
import { registerOpsCommands, type Globals } from './ops';
import { registerScheduleCommands } from './schedule';
import { runServer, runSim, runWorker } from './services';
import { loadSweepResult } from './stored';
import { watchSweep } from './watch';

const program = new Command('vsweep')
  .description('Durable vLLM configuration sweeps on PBS clusters, as Temporal workflows')
  .addOption(
    new Option('--address <host:port>', 'Temporal frontend').default(DEFAULT_ADDRESS).env('TEMPORAL_ADDRESS'),
  )
  .option('--namespace <ns>', 'Temporal namespace', 'default')
  .option('--task-queue <name>', 'task queue of the workers', DEFAULT_TASK_QUEUE);

const globals = () => program.opts<Globals>();

program
  .command('validate <spec>')
  .description('check a sweep spec and the files it names; submits nothing')
  .action((file: string) => {
    const spec = loadSpecFile(file);
    const n = spec.experiments.length + (spec.matrix ? 1 : 0);
    console.log(
      `${file}: valid (${n} experiment entr${n === 1 ? 'y' : 'ies'}, ${Object.keys(spec.datasets).length} datasets)`,
    );
  });

program
  .command('schema')
  .description('print the spec JSON Schema (for editors)')
  .action(() => console.log(JSON.stringify(sweepSpecJsonSchema(), null, 2)));

program
  .command('start <spec>')
  .description('validate a spec and start its sweep; prints the sweep id')
  .option('--wait', 'follow progress and print the report at the end')
  .option(
    '--fixed-load-timeout <sec>',
    "use one fixed startup timeout (the seed's way) instead of the adaptive policy",
  )
  .option('--load-timeout <duration>', 'the same as a duration: 300, 40m, 1h')
  .action(async (file: string, opts: { wait?: boolean; fixedLoadTimeout?: string; loadTimeout?: string }) => {
    const spec = applyOverrides(loadSpecFile(file), opts);
    const client = await connectClient(globals().address, globals().namespace);
    const sweepId = await startSweep(client, spec, { taskQueue: globals().taskQueue });
    console.log(sweepId);
    if (opts.wait) {
      await watchSweep(client, sweepId, { tty: !!process.stdout.isTTY });
      process.stdout.write('\n' + renderMarkdown(await loadSweepResult(client, sweepId)));
    }
  });

registerOpsCommands(program, globals);
registerScheduleCommands(program, globals);

program
  .command('cancel <sweep>')
  .description('cancel a sweep: every job it submitted is deleted (qdel) before its workflow closes')
  .action(async (sweepId: string) => {
    const client = await connectClient(globals().address, globals().namespace);
    console.log(`${sweepId}: ${await cancelSweep(client, sweepId)}`);
  });

program
  .command('reap <spec>')
  .description("delete the cluster's vsweep jobs whose workflow is closed or unknown (run by a worker)")
  .option('--dry-run', 'list them, delete nothing')
  .action(async (file: string, opts: { dryRun?: boolean }) => {
    const spec = loadSpecFile(file);
    const client = await connectClient(globals().address, globals().namespace);
    const jobs = await reapOrphans(client, spec.cluster, {
      dryRun: !!opts.dryRun,
      taskQueue: globals().taskQueue,
    });
    if (jobs.length === 0) console.log(`no vsweep jobs on ${spec.cluster.name}`);
    for (const j of jobs) {
      const what =
        j.owner === 'running' ? 'kept (its workflow runs)' : j.deleted ? 'deleted' : 'orphan (dry run)';
      console.log(`${j.jobId}  ${j.state}  ${j.runId}  workflow ${j.owner}  -> ${what}`);
    }
  });

program
  .command('janitor <spec>')
  .description("schedule the reaper on the spec's cluster (a Temporal Schedule)")
  .option('--every <interval>', 'how often, e.g. 15m or 1h', '15m')
  .action(async (file: string, opts: { every: string }) => {
    const spec = loadSpecFile(file);
    const client = await connectClient(globals().address, globals().namespace);
    const id = await scheduleJanitor(client, spec.cluster, opts.every, globals().taskQueue);
    console.log(`schedule ${id}: reaps orphan jobs on ${spec.cluster.name} every ${opts.every}`);
  });

program
  .command('server')
  .description('run the embedded Temporal dev server (SQLite file, Web UI) in the foreground')
  .option('--port <port>', 'frontend port', '7233')
  .option('--ui-port <port>', 'Web UI port', '8233')
  .option('--db <file>', 'SQLite file (default .vsweep/temporal.db)')
  .action(runServer);

program
  .command('sim')
  .description('run the simulated PBS cluster (SSH on loopback) in the foreground')
  .option('--dir <dir>', 'state directory (default .vsweep/sim)')
  .option('--port <port>', 'SSH port (0 = any free port)', '2222')
  .action(runSim);

program
  .command('worker')
  .description('run a worker: executes the sweep workflows and their activities')
  .action(() => runWorker(globals()));

program
  .command('demo')
  .description(
    'start what is not running (Temporal, simulator, worker), run the simulated GLM-4.6 sweep, print the report',
  )
  .option('--spec <file>', 'the simulator spec', 'examples/sim-glm46.yaml')
  .option(
    '--fixed-load-timeout <sec>',
    "use the seed's fixed startup timeout (e.g. 300) to watch 1B and 2B fail",
  )
  .option('--out <file>', 'also write the report here')
  .action((opts: { spec: string; fixedLoadTimeout?: string; out?: string }) =>
    runDemo({ ...opts, ...globals() }),
  );

// `vsweep report ... | head` closes stdout early: that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof VsweepError) console.error(err.message);
  else console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
