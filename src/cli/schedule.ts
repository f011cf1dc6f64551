// `vsweep schedule`: nightly regression runs as Temporal Schedules.
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { DEFAULT_BASELINE_RUNS } from '../activities/results';
import {
  connectClient,
  createNightlySchedule,
  getNightlyResult,
  listSchedules,
  triggerSchedule,
} from '../client';
import { loadSpecFile } from '../spec/load';
import { formatRegressions, regressionExitCode, type Globals } from './ops';
import { applyOverrides } from './overrides';

export function registerScheduleCommands(program: Command, globals: () => Globals): void {
  const client = (): Promise<Client> => connectClient(globals().address, globals().namespace);
  const schedule = program.command('schedule').description('nightly regression runs (Temporal Schedules)');

  schedule
    .command('create <spec>')
    .description('run the spec on a cron schedule and compare every config with its baseline')
    .requiredOption('--cron <expr>', 'when, in UTC, e.g. "0 2 * * *"')
    .option('--baseline-last <n>', 'baseline: the last N good runs', String(DEFAULT_BASELINE_RUNS))
    .option('--baseline-sweep <id>', 'baseline: one pinned sweep instead')
    .option('--webhook-env <VAR>', "the worker's environment variable holding a Slack-compatible webhook URL")
    .option('--id <scheduleId>', 'schedule id (default vsweep-nightly-<spec name>)')
    .option('--fixed-load-timeout <sec>', 'one fixed startup timeout instead of the adaptive policy')
    .option('--paused', 'create it paused')
    .action(
      async (
        file: string,
        opts: {
          cron: string;
          baselineLast: string;
          baselineSweep?: string;
          webhookEnv?: string;
          id?: string;
          fixedLoadTimeout?: string;
          paused?: boolean;
        },
      ) => {
        const spec = applyOverrides(loadSpecFile(file), opts);
        const lastN = Number(opts.baselineLast);
        if (!(Number.isInteger(lastN) && lastN > 0))
          throw new Error('--baseline-last must be a positive integer');
        if (opts.webhookEnv && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.webhookEnv)) {
          throw new Error('--webhook-env takes the NAME of an environment variable of the worker, not a URL');
        }
        const id = await createNightlySchedule(await client(), spec, {
          scheduleId: opts.id,
          cron: opts.cron,
          baseline: opts.baselineSweep ? { sweepId: opts.baselineSweep } : { lastN },
          webhookEnv: opts.webhookEnv,
          taskQueue: globals().taskQueue,
          paused: opts.paused,
        });
        console.log(`schedule ${id}: ${spec.name} at "${opts.cron}" (UTC)`);
      },
    );

  schedule
    .command('list')
    .description("vsweep's schedules: cron, paused, next and recent runs")
    .option('--json', 'machine-readable')
    .action(async (opts: { json?: boolean }) => {
      const all = await listSchedules(await client());
      if (opts.json) return console.log(JSON.stringify(all, null, 2));
      if (all.length === 0) return console.log('no vsweep schedules');
      for (const s of all) {
        const last = s.recentRuns.at(-1);
        console.log(
          `${s.scheduleId}  ${s.workflowType ?? ''}  ${s.cron.join(' ') || '-'}  ${s.paused ? `PAUSED${s.note ? ` (${s.note})` : ''}` : 'active'}` +
            `  next ${s.nextRuns[0] ?? '-'}  last ${last ? `${last.workflowId} at ${last.takenAt}` : '-'}`,
        );
      }
    });

  for (const [name, what] of [
    ['pause', 'stop starting runs (running ones continue)'],
    ['unpause', 'start runs again'],
    ['delete', 'delete the schedule (runs already started continue)'],
  ] as const) {
    schedule
      .command(`${name} <scheduleId>`)
      .description(what)
      .action(async (id: string) => {
        const handle = (await client()).schedule.getHandle(id);
        if (name === 'pause') await handle.pause('paused with vsweep schedule pause');
        else if (name === 'unpause') await handle.unpause('unpaused with vsweep schedule unpause');
        else await handle.delete();
        console.log(`schedule ${id}: ${name}d`);
      });
  }

  schedule
    .command('trigger <scheduleId>')
    .description('run it now; with --wait, print the regression summary (exit codes as `vsweep regressions`)')
    .option('--wait', 'wait for the run and print its summary')
    .option('--json', 'with --wait: machine-readable')
    .action(async (id: string, opts: { wait?: boolean; json?: boolean }) => {
      const c = await client();
      const workflowId = await triggerSchedule(c, id);
      console.error(`schedule ${id}: started ${workflowId}`);
      if (!opts.wait) return;
      const result = await getNightlyResult(c, workflowId);
      process.stdout.write(
        opts.json
          ? JSON.stringify(result, null, 2) + '\n'
          : formatRegressions(result.summary) + `webhook: ${result.webhook}\n`,
      );
      process.exitCode = regressionExitCode(result.summary);
    });
}
