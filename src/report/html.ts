// A self-contained HTML report: inline CSS, SVG charts drawn here, no scripts, safe to mail or archive.
import type { RegressionSummary, RowVerdict } from '../regression/summary';
import type { StoredRun } from '../store/types';
import type { SweepResult } from '../workflows/types';
import { describeConfig, summarizeSamples, timeScaleNote } from './markdown';
import { barChart, escapeXml as esc, lineChart, scatterChart } from './svg';
import { trendFromHistory } from './trend';

export interface HtmlReportOptions {
  /** Runs from `store.history()` to draw a trend line of `trendMetric` across sweeps. */
  history?: StoredRun[];
  trendMetric?: { name: string; label: string };
  /** Adds a verdict column from the regression check. */
  regression?: RegressionSummary;
}

const CSS = `
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#111;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37}.bad{color:#cf222e}.muted{color:#666}.best{font-weight:700}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts svg{max-width:100%;height:auto;border:1px solid #eee}
details{margin:6px 0}pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px}`;

const VERDICT: Record<RowVerdict, string> = {
  regression: '<span class="bad">▼ regression</span>',
  improvement: '<span class="ok">▲ improvement</span>',
  'no-change': '<span class="muted">no change</span>',
  'insufficient-data': '<span class="muted">no baseline</span>',
  failed: '<span class="bad">failed</span>',
};

export function renderHtml(result: SweepResult, options: HtmlReportOptions = {}): string {
  const scaleNote = timeScaleNote(result.timeScale);
  const rows = result.configs.flatMap((config) =>
    config.rows.map((row) => ({ config, row, summary: summarizeSamples(row.run?.samples ?? []) })),
  );
  const verdicts = new Map(
    options.regression?.rows.map((r) => [`${r.experimentId}\u0000${r.dataset}`, r.verdict]),
  );
  const datasets = [...new Set(rows.map((r) => r.row.dataset))];
  const experiments = [...new Set(rows.map((r) => r.row.experimentId))];
  const valueOf = (metric: 'tokensPerSec' | 'latencySec', exp: string, dataset: string) =>
    rows.find((r) => r.row.experimentId === exp && r.row.dataset === dataset)?.summary[metric];
  const perDataset = (metric: 'tokensPerSec' | 'latencySec') =>
    datasets.map((dataset) => ({
      name: dataset,
      values: experiments.map((exp) => valueOf(metric, exp, dataset)),
    }));

  // Two charts side by side within the page's 1100 px.
  const size = { widthPx: 530, heightPx: 320 };
  const charts = [
    barChart({
      ...size,
      title: 'Throughput per experiment',
      categories: experiments,
      series: perDataset('tokensPerSec'),
      yLabel: 'tokens/s per request',
      missingLabel: 'failed',
    }),
    barChart({
      ...size,
      title: 'Request latency per experiment',
      categories: experiments,
      series: perDataset('latencySec'),
      yLabel: 'latency (s)',
      missingLabel: 'failed',
    }),
    scatterChart({
      ...size,
      title: 'TTFT vs prompt length',
      series: experiments
        .map((exp) => ({
          name: exp,
          points: rows
            .filter((r) => r.row.experimentId === exp)
            .flatMap((r) =>
              (r.row.run?.samples ?? [])
                .filter((s) => s.ok)
                .map((s) => ({ x: s.promptTokens, y: s.ttftSec })),
            ),
        }))
        .filter((series) => series.points.length > 0), // failed experiments have nothing to plot
      xLabel: 'prompt tokens',
      yLabel: 'TTFT (s)',
    }),
  ];
  if (options.history?.length) {
    const metric = options.trendMetric ?? { name: 'tpsMean', label: 'mean tokens/s' };
    charts.push(lineChart({ ...trendFromHistory(options.history, metric.name, metric.label), ...size }));
  }

  const num = (v: number | undefined, digits: number) =>
    `<td class="num">${v === undefined ? '-' : v.toFixed(digits)}</td>`;
  const summaryRows = rows.map(({ config, row, summary }) => {
    const status =
      row.outcome === 'ok'
        ? '<span class="ok">ok</span>'
        : `<span class="bad">${esc(row.outcome)}${row.failedStage ? ` (${esc(row.failedStage)})` : ''}</span>`;
    const verdict = verdicts.get(`${row.experimentId}\u0000${row.dataset}`);
    const notes = [result.descriptions[row.experimentId], row.outcome !== 'ok' ? row.reason : undefined]
      .filter(Boolean)
      .join('; ');
    return (
      `<tr><td>${esc(row.experimentId)}</td><td>${esc(describeConfig(config.flags, result.varyingFlags))}</td><td>${esc(row.dataset)}</td>` +
      `${num(summary.tokensPerSec, 2)}${num(summary.latencySec, 1)}${num(summary.ttftSec, 2)}<td>${status}</td>` +
      `${options.regression ? `<td>${verdict ? VERDICT[verdict] : ''}</td>` : ''}<td>${esc(notes)}</td></tr>`
    );
  });

  const details = result.configs.map((config) => {
    const tables = config.rows
      .filter((row) => row.run?.samples.length)
      .map(
        (row) =>
          `<details><summary>${esc(row.experimentId)} / ${esc(row.dataset)}: ${row.run!.samples.length} samples</summary><table>` +
          '<tr><th>Sample</th><th>Prompt tokens</th><th>Completion</th><th>TTFT (s)</th><th>Time (s)</th><th>TPS</th></tr>' +
          row
            .run!.samples.map(
              (s) =>
                `<tr><td>${esc(s.sampleId)}</td>${num(s.promptTokens, 0)}${num(s.completionTokens, 0)}${num(s.ttftSec, 2)}${num(s.latencySec, 2)}` +
                `${s.ok ? num(s.tokensPerSec, 2) : `<td class="bad">failed: ${esc(s.error ?? '')}</td>`}</tr>`,
            )
            .join('') +
          `</table><p class="muted">Raw records: <code>${esc(row.run!.recordsFile)}</code></p></details>`,
      );
    const facts = [
      config.host && `host ${config.host}${config.port ? `:${config.port}` : ''}`,
      config.jobId && `job ${config.jobId}`,
      config.startupSec !== undefined && `startup ${config.startupSec.toFixed(0)} s`,
      config.reason && `reason: ${config.reason}`,
    ].filter(Boolean) as string[];
    return (
      `<h3>${esc(config.label)} (${esc(describeConfig(config.flags, result.varyingFlags))})</h3>` +
      `<p class="${config.outcome === 'ok' ? 'ok' : 'bad'}">${esc(config.outcome)}${facts.length ? ` — ${esc(facts.join(', '))}` : ''}</p>` +
      (config.logTail
        ? `<details><summary>Log tail</summary><pre>${esc(config.logTail)}</pre></details>`
        : '') +
      tables.join('')
    );
  });

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sweep ${esc(result.sweepId)}</title><style>${CSS}</style></head><body>
<h1>Sweep ${esc(result.sweepId)}</h1>
<p>Spec <b>${esc(result.specName)}</b> — model <code>${esc(result.model)}</code> on cluster <code>${esc(result.cluster)}</code>.
Started ${esc(result.startedAt)}, finished ${esc(result.finishedAt)}.${scaleNote ? ` ${esc(scaleNote)}` : ''}</p>
<h2>Charts</h2><div class="charts">${charts.join('\n')}</div>
<h2>Summary of results</h2>
<table><tr><th>Exp</th><th>Config</th><th>Dataset</th><th>TPS</th><th>Latency (s)</th><th>TTFT (s)</th><th>Status</th>${options.regression ? '<th>vs baseline</th>' : ''}<th>Notes</th></tr>
${summaryRows.join('\n')}</table>
<h2>Details</h2>${details.join('\n')}
</body></html>
`;
}
