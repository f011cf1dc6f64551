// A sweep as `vllm bench serve --save-result --append-result` would have written it: one JSON line per
// experiment, dataset and repeat, with vLLM's key names (vllm/benchmarks/serve.py), so scripts and
// plots built for vLLM's results read vsweep's. vsweep's own facts ride along as `vsweep_*` keys, the
// way vLLM's `--metadata k=v` adds top-level keys.
import type { Distribution } from '../metrics/compute';
import type { SweepResult } from '../workflows/types';

/** vLLM's `date` format (`%Y%m%d-%H%M%S`, local time in vLLM; UTC here). */
function vllmDate(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}-${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
}

/** mean_/median_/std_/p{N}_{name}_ms, as serve.py's process_one_metric writes them. */
function distributionKeys(name: string, d: Distribution): Record<string, number> {
  const keys: Record<string, number> = {
    [`mean_${name}_ms`]: d.meanMs,
    [`median_${name}_ms`]: d.medianMs,
    [`std_${name}_ms`]: d.stdMs,
  };
  for (const [p, value] of Object.entries(d.percentilesMs)) keys[`${p}_${name}_ms`] = value;
  return keys;
}

export function vllmBenchJsonLines(result: SweepResult): string {
  const workload = result.workload;
  const mode = workload?.mode;
  const backend = workload?.endpoint === 'chat' ? 'openai-chat' : 'openai';
  const lines: string[] = [];
  for (const config of result.configs) {
    for (const row of config.rows) {
      for (const [run, m] of (row.run?.metrics ?? []).entries()) {
        lines.push(
          JSON.stringify({
            date: vllmDate(result.startedAt),
            endpoint_type: backend,
            backend,
            label: `${row.experimentId}/${row.dataset}`,
            model_id: result.model,
            tokenizer_id: result.model,
            num_prompts: m.completed + m.failed,
            request_rate: mode?.kind === 'rate' ? mode.requestsPerSec : 'inf',
            burstiness: mode?.kind === 'rate' ? mode.burstiness : 1.0,
            max_concurrency:
              mode?.kind === 'sequential'
                ? 1
                : mode?.kind === 'concurrency'
                  ? mode.concurrency
                  : (mode?.maxConcurrency ?? null),
            duration: m.durationSec,
            completed: m.completed,
            failed: m.failed,
            total_input_tokens: m.totalInputTokens,
            total_output_tokens: m.totalOutputTokens,
            request_throughput: m.requestThroughputPerSec,
            request_goodput: m.requestGoodputPerSec ?? null,
            output_throughput: m.outputThroughputTokPerSec,
            total_token_throughput: m.totalTokenThroughputTokPerSec,
            max_output_tokens_per_s: m.maxOutputTokensPerSec,
            max_concurrent_requests: m.maxConcurrentRequests,
            ...distributionKeys('ttft', m.ttft),
            ...distributionKeys('tpot', m.tpot),
            ...distributionKeys('itl', m.itl),
            ...distributionKeys('e2el', m.e2el),
            vsweep_sweep_id: result.sweepId,
            vsweep_experiment: row.experimentId,
            vsweep_dataset: row.dataset,
            vsweep_run: run,
            vsweep_flags: config.flags,
            vsweep_time_scale: result.timeScale,
          }),
        );
      }
    }
  }
  return lines.map((line) => line + '\n').join('');
}
