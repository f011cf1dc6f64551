// The seed's report, generated: a "Summary of Results" table and per-experiment sample tables.
import type { Flags } from '../spec/schema';
import { metricsTable, serverMetricsLine } from './metrics-md';
import type { ConfigResult, RowResult, SampleResult, SweepResult } from '../workflows/types';

/** Short names the seed used for the flags people sweep most. */
const FLAG_LABELS: Record<string, (v: Flags[string] | undefined) => string> = {
  'enforce-eager': (v) => `enforce-eager=${v === true ? 'yes' : 'no'}`,
  'enable-expert-parallel': (v) => `EP=${v === true ? 'on' : 'off'}`,
  'max-model-len': (v) =>
    `len=${typeof v === 'number' ? `${Math.floor(v / 1000)}k` : String(v ?? 'default')}`,
};

export function describeConfig(flags: Flags, varying: string[]): string {
  if (varying.length === 0) return 'base flags';
  // The seed's order first (eager, EP, length), then any other swept flag alphabetically.
  const known = Object.keys(FLAG_LABELS);
  const rank = (name: string) => (known.includes(name) ? known.indexOf(name) : known.length);
  return [...varying]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((name) =>
      (FLAG_LABELS[name] ?? ((v) => `${name}=${v === undefined ? 'off' : String(v)}`))(flags[name]),
    )
    .join(', ');
}

export interface RowSummary {
  tokensPerSec?: number;
  latencySec?: number;
  ttftSec?: number;
}

export function summarizeSamples(samples: SampleResult[]): RowSummary {
  const ok = samples.filter((s) => s.ok);
  if (ok.length === 0) return {};
  const mean = (f: (s: SampleResult) => number) => ok.reduce((sum, s) => sum + f(s), 0) / ok.length;
  return {
    tokensPerSec: mean((s) => s.tokensPerSec),
    latencySec: mean((s) => s.latencySec),
    ttftSec: mean((s) => s.ttftSec),
  };
}

/** What a simulated sweep's time scale means for its figures; undefined at real time. */
export function timeScaleNote(timeScale: number): string | undefined {
  if (timeScale === 1) return undefined;
  const note = `Simulated cluster at time scale ${timeScale}: durations are shown in simulated seconds.`;
  if (timeScale >= 0.1) return note;
  // The demo's scale: a token every ~1 ms of wall-clock time, so gaps carry scheduling jitter x100.
  const simMsPerWallMs = Math.round(1 / timeScale);
  return (
    `${note} One wall-clock ms is ${simMsPerWallMs} simulated ms here, so chunk gaps (ITL) carry the ` +
    `client machine's scheduling jitter x${simMsPerWallMs}, and chunks that reach the client in one read ` +
    'show a 0 ms gap; whole-request figures (TTFT, latency, TPS) are not affected. At time scale 1 the ' +
    "client's timing error is what `make bench-fidelity` measures (p99 under 1 ms)."
  );
}

export function renderMarkdown(result: SweepResult): string {
  const descriptions = result.descriptions;
  const out: string[] = [];
  out.push(`# Sweep ${result.sweepId}`, '');
  out.push(`Spec **${result.specName}** — model \`${result.model}\` on cluster \`${result.cluster}\`.`);
  out.push(`Started ${result.startedAt}, finished ${result.finishedAt}.`);
  const scaleNote = timeScaleNote(result.timeScale);
  if (scaleNote) out.push(scaleNote);
  out.push('', '## Summary of Results', '');
  out.push('| Exp | Config | Dataset | TPS | Latency (s) | TTFT (s) | Status | Notes |');
  out.push('|-----|--------|---------|-----|-------------|----------|--------|-------|');
  const best = bestTpsByDataset(result);
  for (const config of result.configs) {
    for (const row of config.rows) {
      const s = summarizeSamples(row.run?.samples ?? []);
      const tps = s.tokensPerSec === undefined ? '-' : fmt(s.tokensPerSec, 2);
      out.push(
        `| ${row.experimentId} | ${describeConfig(config.flags, result.varyingFlags)} | ${row.dataset} | ` +
          `${s.tokensPerSec !== undefined && best.get(row.dataset) === s.tokensPerSec ? `**${tps}**` : tps} | ` +
          `${s.latencySec === undefined ? '-' : fmt(s.latencySec, 1)} | ${s.ttftSec === undefined ? '-' : fmt(s.ttftSec, 2)} | ` +
          `${statusCell(row)} | ${notesCell(row, descriptions[row.experimentId])} |`,
      );
    }
  }
  out.push('', '## Detailed Results', '');
  for (const config of result.configs) out.push(...renderConfig(config, result.varyingFlags, descriptions));
  return out.join('\n') + '\n';
}

function renderConfig(
  config: ConfigResult,
  varying: string[],
  descriptions: Record<string, string>,
): string[] {
  const out: string[] = [];
  const title = config.rows
    .map((r) => r.experimentId)
    .filter((id, i, all) => all.indexOf(id) === i)
    .join(' + ');
  const what = descriptions[config.rows[0]?.experimentId ?? ''];
  out.push(`### Exp ${title}${what ? `: ${what}` : ''} (${describeConfig(config.flags, varying)})`);
  if (config.host)
    out.push(
      `- **Host**: ${config.host}${config.port ? `:${config.port}` : ''}${config.jobId ? ` (job ${config.jobId})` : ''}`,
    );
  else if (config.jobId) out.push(`- **Job**: ${config.jobId}`);
  const timeout = `timeout ${Math.round(config.loadTimeout.totalSec)} s: ${config.loadTimeout.explanation}`;
  out.push(
    `- **Startup**: ${config.startupSec === undefined ? '-' : `${fmt(config.startupSec, 0)} s`} (${timeout})`,
  );
  if (config.modelMemoryGiB !== undefined)
    out.push(`- **Model Memory**: ${fmt(config.modelMemoryGiB, 1)} GiB`);
  const stage = [config.failedStage ?? 'an unknown', config.startupStage && `(${config.startupStage})`]
    .filter(Boolean)
    .join(' ');
  out.push(
    `- **Status**: ${config.outcome === 'ok' ? '✅ completed' : `❌ ${config.outcome} in ${stage} stage`}`,
  );
  if (config.reason) out.push(`- **Reason**: ${config.reason}`);
  if (config.logTail) out.push('- **Log tail**:', '', '```', ...config.logTail.split('\n').slice(-12), '```');
  for (const row of config.rows) {
    if (!row.run || row.run.samples.length === 0) continue;
    out.push(`- **${row.dataset} Dataset Results** (${row.experimentId}):`, '');
    out.push('  | Sample | Prompt Tokens | Completion | TTFT (s) | Time (s) | TPS |');
    out.push('  |--------|---------------|------------|----------|----------|-----|');
    for (const s of row.run.samples) {
      out.push(
        `  | ${s.sampleId} | ${s.promptTokens} | ${s.completionTokens} | ${fmt(s.ttftSec, 2)} | ${fmt(s.latencySec, 2)} | ` +
          `${s.ok ? fmt(s.tokensPerSec, 2) : `failed: ${s.error ?? ''}`} |`,
      );
    }
    const avg = summarizeSamples(row.run.samples);
    out.push(
      `  | **Avg** | - | - | ${avg.ttftSec === undefined ? '-' : fmt(avg.ttftSec, 2)} | **${avg.latencySec === undefined ? '-' : fmt(avg.latencySec, 1)}** | **${avg.tokensPerSec === undefined ? '-' : fmt(avg.tokensPerSec, 2)}** |`,
      '',
      ...metricsTable(row.run.metrics ?? []),
      ...serverMetricsLine(row.run.serverMetrics),
      ...(row.run.skipped?.length
        ? ['', `  Skipped (too long for --max-model-len): ${row.run.skipped.join(', ')}`]
        : []),
      '',
      `  Raw per-request records: \`${row.run.recordsFile}\``,
      '',
    );
  }
  out.push('');
  return out;
}

function statusCell(row: RowResult): string {
  if (row.outcome === 'ok') return '✅';
  const where = [row.failedStage, row.startupStage].filter(Boolean).join(': ');
  return `❌ ${row.outcome === 'cancelled' ? 'cancelled' : 'failed'}${where ? ` (${where})` : ''}`;
}

function notesCell(row: RowResult, description?: string): string {
  const parts = [description, row.outcome !== 'ok' ? row.reason : undefined].filter(Boolean) as string[];
  return parts.join('; ').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function bestTpsByDataset(result: SweepResult): Map<string, number> {
  const best = new Map<string, number>();
  for (const row of result.configs.flatMap((c) => c.rows)) {
    const tps = summarizeSamples(row.run?.samples ?? []).tokensPerSec;
    if (tps !== undefined && tps > (best.get(row.dataset) ?? -1)) best.set(row.dataset, tps);
  }
  return best;
}

function fmt(n: number, digits: number): string {
  return n.toFixed(digits);
}
