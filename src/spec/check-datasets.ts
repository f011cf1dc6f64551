// Before anything is submitted: every dataset of every experiment must load and fit the experiment's
// --max-model-len (prompt + max_tokens), or be skipped where the spec says so.
import { loadDataset, type Sample } from '../datasets/load';
import { validateDataset, type SkippedSample } from '../datasets/validate';
import { VsweepError } from '../lib/errors';
import { planSweep } from '../plan/plan';
import type { SweepSpec } from './schema';

export interface DatasetSkips {
  experimentId: string;
  dataset: string;
  skipped: SkippedSample[];
}

/**
 * Token counts are estimated as one token per whitespace-separated word (what the simulator counts);
 * real tokenizers give more, so this catches gross mismatches (a 47k-token dataset on an 8k context),
 * and the server's own 400 answer catches the rest, per request.
 */
export function wordTokens(text: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = text.charCodeAt(i) <= 32;
    if (!space && !inWord) count++;
    inWord = !space;
  }
  return count;
}

export function checkDatasets(spec: SweepSpec): {
  issues: { path: string; message: string }[];
  skips: DatasetSkips[];
} {
  const issues: { path: string; message: string }[] = [];
  const skips: DatasetSkips[] = [];
  const loaded = new Map<string, Sample[]>();
  for (const config of planSweep(spec).configs) {
    const maxModelLen = Number(config.flags['max-model-len']);
    for (const exp of config.experiments) {
      for (const name of exp.datasets) {
        const source = spec.datasets[name];
        try {
          if (!loaded.has(name)) loaded.set(name, loadDataset(name, source));
          if (!Number.isFinite(maxModelLen)) continue; // the model's own default: unknown here
          const { skipped } = validateDataset(loaded.get(name)!, {
            maxModelLen,
            tokenCount: wordTokens,
            onTooLong: source.onTooLong,
            chatTokensPerMessage: spec.workload.endpoint === 'chat' ? 3 : 0,
            datasetName: name,
          });
          if (skipped.length > 0) skips.push({ experimentId: exp.id, dataset: name, skipped });
        } catch (err) {
          if (!(err instanceof VsweepError)) throw err;
          issues.push({ path: `datasets.${name}`, message: `for experiment ${exp.id}: ${err.message}` });
        }
      }
    }
  }
  return { issues, skips };
}
