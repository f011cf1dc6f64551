// Day-to-day commands: watch, list, resume, report formats, compare, regressions.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Option, type Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { checkSweep, DEFAULT_BASELINE_RUNS } from '../activities/results';
import {
  connectClient,
  getSweepInput,
  getSweepStatus,
  listSweeps,
  resumeSweep,
  type SweepListEntry,
} from '../client';
import type { RegressionSummary } from '../regression';
import type { StoredSweep } from '../store';
import { compareSweeps } from '../report/compare';
import { samplesCsv, summaryCsv } from '../report/csv';
import { renderHtml } from '../report/html';
import { renderMarkdown } from '../report/markdown';
import { vllmBenchJsonLines } from '../report/vllm-json';
import type { ResumeSelection } from '../workflows/resume';
import type { SweepResult } from '../workflows/types';
import { applyOverrides, applyRegressionOverrides } from './overrides';
import { formatConfigLine } from './progress';
import { loadSweepResult, loadSweepResults, storeFile, withStore } from './stored';
import { watchSweep } from './watch';

export type Globals = { address: string; namespace: string; taskQueue: string };

/** Exit codes of `vsweep regressions` (and `schedule trigger --wait`), for CI. */
export const EXIT_REGRESSION = 3;
export const EXIT_FAILED_ROWS = 4;

/** Temporal's sweeps, then the store's that Temporal no longer knows; newest first, at most `limit`. */
export function mergeSweepLists(
  fromTemporal: SweepListEntry[],
  stored: StoredSweep[],
  limit: number,
): SweepListEntry[] {
  const known = new Set(fromTemporal.map((s) => s.sweepId));
  const fromStore = stored
    .filter((s) => !known.has(s.id))
    .map((s): SweepListEntry => ({
      sweepId: s.id,
      status: s.status,
      startedAt: s.startedAt,
      closedAt: s.finishedAt,
      source: 'store',
      specName: s.specName,
    }));
  return [...fromTemporal, ...fromStore]
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .slice(0, limit);
}

export function regressionExitCode(summary: RegressionSummary): number {
  if (summary.counts.regression > 0) return EXIT_REGRESSION;
  return summary.counts.failed > 0 ? EXIT_FAILED_ROWS : 0;
}

export function formatRegressions(summary: RegressionSummary): string {
  const c = summary.counts;
  const lines = [
    `${summary.sweepId} (${summary.specName}): ${c.regression} regression(s), ${c.failed} failed, ` +
      `${c.improvement} improvement(s), ${c['no-change']} unchanged, ${c['insufficient-data']} without baseline`,
  ];
  for (const row of summary.rows) {
    const metrics = row.metrics
      ? Object.entries(row.metrics)
          .map(
            ([name, m]) =>
              `${name} ${Number.isFinite(m.changePct) ? `${m.changePct > 0 ? '+' : ''}${m.changePct.toFixed(1)}%` : '-'}` +
              `${Number.isFinite(m.pValue) ? ` p=${m.pValue.toPrecision(2)}` : ''}`,
          )
          .join(', ')
      : (row.reason ?? '');
    const runs = row.metrics ? ` (${Object.values(row.metrics)[0]!.baselineRuns} baseline runs)` : '';
    lines.push(
      `  ${row.verdict.padEnd(17)} ${row.experimentId}/${row.dataset}  ${row.config}: ${metrics}${runs}`,
    );
  }
  return lines.join('\n') + '\n';
}

function output(text: string, out?: string): void {
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}

export function registerOpsCommands(program: Command, globals: () => Globals): void {
  const client = (): Promise<Client> => connectClient(globals().address, globals().namespace);

  program
    .command('watch <sweep>')
    .description(
      'follow a sweep live (a table on a terminal, change lines when piped), then print its report',
    )
    .action(async (sweepId: string) => {
      const c = await client();
      await watchSweep(c, sweepId, { tty: !!process.stdout.isTTY });
      process.stdout.write('\n' + renderMarkdown(await loadSweepResult(c, sweepId)));
    });

  program
    .command('list')
    .description('recent sweeps: Temporal (running and kept) and the results store (past retention)')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'machine-readable')
    .action(async (opts: { limit: string; json?: boolean }) => {
      const limit = Math.max(1, Number(opts.limit) || 20);
      const fromTemporal = await listSweeps(await client(), limit);
      const stored = withStore((store) => store?.sweeps(limit + fromTemporal.length) ?? []);
      const all = mergeSweepLists(fromTemporal, stored, limit);
      if (opts.json) return console.log(JSON.stringify(all, null, 2));
      if (all.length === 0) return console.log('no sweeps yet');
      for (const s of all) {
        console.log(
          `${s.sweepId.padEnd(40)} ${s.status.padEnd(10)} started ${s.startedAt}${s.source === 'store' ? '  (results store; past Temporal retention)' : ''}`,
        );
      }
    });

  program
    .command('resume <sweep>')
    .description('start a new sweep that re-runs only the rows that did not succeed and reuses the others')
    .addOption(
      new Option('--only <which>', 'which rows to re-run (default: every row not ok)').choices([
        'failed',
        'timeout',
      ]),
    )
    .option('--fixed-load-timeout <sec>', 'one fixed startup timeout, in seconds, for the re-run configs')
    .option('--load-timeout <duration>', 'the same as a duration: 2400, 40m, 1h')
    .option('--wait', 'follow progress and print the report at the end')
    .action(
      async (
        fromSweepId: string,
        opts: {
          only?: 'failed' | 'timeout';
          fixedLoadTimeout?: string;
          loadTimeout?: string;
          wait?: boolean;
        },
      ) => {
        const c = await client();
        const previous = await loadSweepResult(c, fromSweepId);
        const { sweepId, rerun } = await resumeSweep(c, fromSweepId, previous, {
          taskQueue: globals().taskQueue,
          only: (opts.only ?? 'not-ok') as ResumeSelection,
          editSpec: (spec) => applyOverrides(spec, opts),
        });
        if (!sweepId) return console.log(`${fromSweepId}: nothing to re-run (every selected row succeeded)`);
        console.log(sweepId);
        console.error(`re-running ${rerun.join(', ')}; reusing the other rows of ${fromSweepId}`);
        if (opts.wait) {
          await watchSweep(c, sweepId, { tty: !!process.stdout.isTTY });
          process.stdout.write('\n' + renderMarkdown(await loadSweepResult(c, sweepId)));
        }
      },
    );

  program
    .command('report <sweep>')
    .description("print a finished sweep's report (from Temporal, or the results store past retention)")
    .addOption(
      new Option(
        '--format <format>',
        'output format (vllm-json: JSON lines with `vllm bench serve --save-result` keys, one per row and repeat)',
      )
        .choices(['md', 'html', 'csv', 'json', 'vllm-json'])
        .default('md'),
    )
    .option('--samples', 'csv: one line per request instead of one per experiment and dataset')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (sweepId: string, opts: { format: string; samples?: boolean; out?: string }) => {
      const [result] = await loadSweepResults(client, globals().address, [sweepId]);
      output(renderReport(result, opts.format, !!opts.samples), opts.out);
    });

  program
    .command('compare <sweepA> <sweepB>')
    .description('two sweeps side by side: every experiment and dataset with the change from A to B')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (a: string, b: string, opts: { out?: string }) => {
      const [ra, rb] = await loadSweepResults(client, globals().address, [a, b]);
      output(compareSweeps(ra, rb) + '\n', opts.out);
    });

  program
    .command('regressions <sweep>')
    .description(
      'compare a sweep with its baseline (exit 0: none, 3: a regression, 4: failed rows and no regression)',
    )
    .option('--baseline-last <n>', 'the last N good runs before the sweep', String(DEFAULT_BASELINE_RUNS))
    .option('--baseline-sweep <id>', 'a pinned baseline sweep instead')
    .option(
      '--min-change <pct>',
      "smallest change to flag, % of the baseline: `5` for every metric, `ttftSec=10,tokensPerSec=3` per metric (default: the sweep spec's `regression` section)",
    )
    .option('--alpha <p>', "significance level across all tests (default: the spec's, 0.05)")
    .option('--json', 'machine-readable')
    .action(
      async (
        sweepId: string,
        opts: {
          baselineLast: string;
          baselineSweep?: string;
          minChange?: string;
          alpha?: string;
          json?: boolean;
        },
      ) => {
        const c = await client();
        const result = await loadSweepResult(c, sweepId);
        // The sweep's own thresholds while Temporal keeps its input; the defaults past retention.
        const own = await getSweepInput(c, sweepId).then(
          (input) => input.spec.regression,
          () => undefined,
        );
        const thresholds = applyRegressionOverrides(own, opts);
        const summary = withStore((store) => {
          if (!store) throw new Error(`no results store at ${storeFile()}: no baseline to compare with`);
          return checkSweep(
            store,
            result,
            { lastN: Number(opts.baselineLast), sweepId: opts.baselineSweep },
            thresholds,
          );
        });
        process.stdout.write(
          opts.json ? JSON.stringify(summary, null, 2) + '\n' : formatRegressions(summary),
        );
        process.exitCode = regressionExitCode(summary);
      },
    );

  program
    .command('status <sweep>')
    .description('print where every server configuration of a sweep stands')
    .option('--json', 'machine-readable')
    .action(async (sweepId: string, opts: { json?: boolean }) => {
      const c = await client();
      try {
        const status = await getSweepStatus(c, sweepId);
        if (opts.json) return console.log(JSON.stringify(status, null, 2));
        console.log(
          `${sweepId}: ${status.status}${status.progress.resumedFrom ? ` (resumes ${status.progress.resumedFrom})` : ''}`,
        );
        for (const cfg of status.configs)
          console.log('  ' + formatConfigLine(cfg, status.progress.timeScale));
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        const stored = withStore((store) => store?.sweep(sweepId));
        if (!stored) throw err;
        if (opts.json) return console.log(JSON.stringify({ sweepId, source: 'store', ...stored }, null, 2));
        console.log(`${sweepId}: ${stored.status} (results store; Temporal no longer keeps it)`);
      }
    });
}

export function renderReport(result: SweepResult, format: string, samples = false): string {
  switch (format) {
    case 'json':
      return JSON.stringify(result, null, 2) + '\n';
    case 'vllm-json':
      return vllmBenchJsonLines(result);
    case 'csv':
      return samples ? samplesCsv(result) : summaryCsv(result);
    case 'html':
      // The trend chart: this spec's history from the store, when the store knows it.
      return withStore((store) =>
        renderHtml(result, { history: store?.history({ specName: result.specName }) }),
      );
    default:
      return renderMarkdown(result);
  }
}
