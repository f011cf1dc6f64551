// Hand-made SweepResults for store, regression and report tests: two configs x two datasets, one failure.
import type { ConfigResult, SampleResult, SweepResult } from '../../src/workflows/types';

export const loadTimeout = {
  totalSec: 240,
  loadSec: 240,
  compileSec: 0,
  explanation: 'load 160 s x1.5 margin',
};

/** Samples whose TPS is `tokensPerSec` scaled by small, fixed jitter (no randomness in tests). */
export function samples(
  prefix: string,
  tokensPerSec: number,
  count = 4,
  promptTokens = 6000,
): SampleResult[] {
  const jitter = [1, 0.98, 1.02, 1.0, 0.99, 1.01]; // mean 1 over 4 or 6 samples
  return Array.from({ length: count }, (_, i) => {
    const tps = tokensPerSec * jitter[i % jitter.length]!;
    const completionTokens = 512;
    return {
      sampleId: `${prefix}_${i + 1}`,
      promptTokens: promptTokens + i * 1000,
      completionTokens,
      ttftSec: 0.2 + (promptTokens + i * 1000) / 20000,
      latencySec: completionTokens / tps,
      tokensPerSec: tps,
      ok: true,
    };
  });
}

export interface FixtureOptions {
  sweepId?: string;
  specName?: string;
  startedAt?: string;
  /** TPS of config A on 8k; other rows are derived from it. */
  tps?: number;
  /** Make config B fail at load (as the seed's EP-off run did). */
  failB?: boolean;
}

export function sweepResult(options: FixtureOptions = {}): SweepResult {
  const tps = options.tps ?? 10;
  const startedAt = options.startedAt ?? '2026-11-01T02:00:00.000Z';
  const configA: ConfigResult = {
    configKey: '1A-aaaa',
    label: '1A',
    flags: { 'enable-expert-parallel': true, 'max-model-len': 32768 },
    outcome: 'ok',
    host: 'gpu-01',
    port: 8000,
    startupSec: 150,
    loadTimeout,
    rows: ['8k', '16k'].map((dataset, i) => ({
      experimentId: '1A',
      dataset,
      outcome: 'ok' as const,
      run: {
        dataset,
        recordsFile: `/runs/1A-${dataset}.jsonl`,
        samples: samples(dataset, tps / (i + 1), 4, 6000 * (i + 1)),
      },
    })),
  };
  const configB: ConfigResult = options.failB
    ? {
        configKey: '2B-bbbb',
        label: '2B',
        flags: { 'max-model-len': 32768 },
        outcome: 'failed',
        failedStage: 'load',
        startupStage: 'loading-weights',
        reason: 'server not ready after 240 s, "weights" < 50%',
        loadTimeout,
        rows: ['8k', '16k'].map((dataset) => ({
          experimentId: '2B',
          dataset,
          outcome: 'failed' as const,
          failedStage: 'load' as const,
          reason: 'server not ready after 240 s, "weights" < 50%',
        })),
      }
    : {
        configKey: '2B-bbbb',
        label: '2B',
        flags: { 'max-model-len': 32768 },
        outcome: 'ok',
        loadTimeout,
        rows: ['8k', '16k'].map((dataset, i) => ({
          experimentId: '2B',
          dataset,
          outcome: 'ok' as const,
          run: {
            dataset,
            recordsFile: `/runs/2B-${dataset}.jsonl`,
            samples: samples(dataset, (tps * 0.8) / (i + 1), 4, 6000 * (i + 1)),
          },
        })),
      };
  return {
    sweepId: options.sweepId ?? 'nightly-1',
    specName: options.specName ?? 'glm-nightly',
    model: 'zai-org/GLM-4.6',
    cluster: 'hopper',
    timeScale: 1,
    varyingFlags: ['enable-expert-parallel'],
    descriptions: { '1A': 'Baseline', '2B': 'No expert parallelism' },
    startedAt,
    finishedAt: startedAt.replace('T02', 'T05'),
    configs: [configA, configB],
  };
}
