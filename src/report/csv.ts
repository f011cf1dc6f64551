// CSV exports for spreadsheets and pandas: one row per sample, or one per experiment/dataset (RFC 4180).
import type { SweepResult } from '../workflows/types';
import { describeConfig, summarizeSamples } from './markdown';

type Cell = string | number | boolean | undefined;

/** Quotes a field only when it holds a comma, quote, CR or LF; quotes inside are doubled. */
export function csvField(value: Cell): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 asks for CRLF between records, including after the last. */
export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function samplesCsv(result: SweepResult): string {
  const header = [
    'sweep_id',
    'experiment_id',
    'config_key',
    'config',
    'dataset',
    'sample_id',
    'prompt_tokens',
    'completion_tokens',
    'cached_tokens',
    'ttft_sec',
    'latency_sec',
    'tokens_per_sec',
    'ok',
    'error',
  ];
  const rows = result.configs.flatMap((config) =>
    config.rows.flatMap((row) =>
      (row.run?.samples ?? []).map((s): Cell[] => [
        result.sweepId,
        row.experimentId,
        config.configKey,
        describeConfig(config.flags, result.varyingFlags),
        row.dataset,
        s.sampleId,
        s.promptTokens,
        s.completionTokens,
        s.cachedTokens,
        s.ttftSec,
        s.latencySec,
        s.tokensPerSec,
        s.ok,
        s.error,
      ]),
    ),
  );
  return toCsv(header, rows);
}

export function summaryCsv(result: SweepResult): string {
  const header = [
    'sweep_id',
    'experiment_id',
    'config_key',
    'config',
    'dataset',
    'outcome',
    'failed_stage',
    'reason',
    'samples',
    'samples_ok',
    'tokens_per_sec_mean',
    'latency_sec_mean',
    'ttft_sec_mean',
    'records_file',
  ];
  const rows = result.configs.flatMap((config) =>
    config.rows.map((row): Cell[] => {
      const samples = row.run?.samples ?? [];
      const s = summarizeSamples(samples);
      return [
        result.sweepId,
        row.experimentId,
        config.configKey,
        describeConfig(config.flags, result.varyingFlags),
        row.dataset,
        row.outcome,
        row.failedStage,
        row.reason,
        samples.length,
        samples.filter((x) => x.ok).length,
        s.tokensPerSec,
        s.latencySec,
        s.ttftSec,
        row.run?.recordsFile,
      ];
    }),
  );
  return toCsv(header, rows);
}
