// The CLI's view of the results store: sweeps past Temporal's retention, read back as SweepResults.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getSweepResult } from '../client';
import { stateDir } from '../lib/paths';
import { openStore, type ResultsStore } from '../store';
import type { ConfigResult, SweepResult } from '../workflows/types';

/** The store the local worker writes (`$VSWEEP_HOME/results.db`). */
export function storeFile(): string {
  return join(stateDir(), 'results.db');
}

/** Opens the store if it exists; undefined when no worker on this machine has recorded anything yet. */
export function openLocalStore(file = storeFile()): ResultsStore | undefined {
  return existsSync(file) ? openStore(file) : undefined;
}

export function withStore<T>(fn: (store: ResultsStore | undefined) => T): T {
  const store = openLocalStore();
  try {
    return fn(store);
  } finally {
    store?.close();
  }
}

/** A sweep as recorded: the SweepResult itself, or rebuilt from its rows (see `rebuildFromRows`). */
export function sweepResultFromStore(store: ResultsStore, sweepId: string): SweepResult | undefined {
  return store.sweepResult(sweepId) ?? rebuildFromRows(store, sweepId);
}

/**
 * For sweeps recorded before the store kept whole results: the latest attempt of every row along the
 * resume chain, with per-row summaries and samples; startup details and load timeouts show as not kept.
 */
export function rebuildFromRows(store: ResultsStore, sweepId: string): SweepResult | undefined {
  const sweep = store.sweep(sweepId);
  if (!sweep) return undefined;
  const configs = new Map<string, ConfigResult>();
  for (const { latest: run } of store.latestRows(sweepId)) {
    let config = configs.get(run.configKey);
    if (!config) {
      config = {
        configKey: run.configKey,
        label: run.configLabel,
        flags: run.flags,
        outcome: 'ok',
        loadTimeout: { totalSec: 0, loadSec: 0, compileSec: 0, explanation: 'not kept in the results store' },
        rows: [],
      };
      configs.set(run.configKey, config);
    }
    config.rows.push({
      experimentId: run.experimentId,
      dataset: run.dataset,
      outcome: run.outcome,
      failedStage: run.failedStage,
      startupStage: run.startupStage,
      reason: run.reason,
      ...(run.sweepId !== sweepId && { reusedFrom: run.sweepId }),
      run: {
        dataset: run.dataset,
        recordsFile: run.recordsFile ?? '',
        samples: run.samples.map((s, i) => ({ ...s, sampleId: `${run.experimentId}_${i + 1}` })),
      },
    });
    if (run.outcome !== 'ok') config.outcome = run.outcome === 'cancelled' ? 'cancelled' : 'failed';
  }
  const all = [...configs.values()];
  const flagNames = [...new Set(all.flatMap((c) => Object.keys(c.flags)))];
  const varyingFlags = flagNames.filter(
    (name) => new Set(all.map((c) => JSON.stringify(c.flags[name] ?? null))).size > 1,
  );
  return {
    sweepId,
    specName: sweep.specName,
    model: sweep.model,
    cluster: sweep.cluster,
    timeScale: sweep.timeScale,
    varyingFlags,
    descriptions: {},
    startedAt: sweep.startedAt,
    finishedAt: sweep.finishedAt ?? '',
    configs: all,
  };
}

/** From Temporal while it keeps the sweep (waits for a running one), else from the results store. */
export async function loadSweepResult(client: Client, sweepId: string): Promise<SweepResult> {
  try {
    return await getSweepResult(client, sweepId);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return storedOrThrow(sweepId, 'Temporal does not know this sweep');
  }
}

/** The sweep from the results store; an error saying why Temporal could not help, and that the store cannot. */
function storedOrThrow(sweepId: string, why: string, fix = ''): SweepResult {
  const stored = withStore((store) => store && sweepResultFromStore(store, sweepId));
  if (!stored)
    throw new Error(`${sweepId}: ${why} and the results store (${storeFile()}) has no record of it${fix}`);
  return stored;
}

/**
 * For commands that only read results (report, compare): Temporal when it answers, else the results
 * store, said on stderr, so a report does not need the server running.
 */
export async function loadSweepResults(
  connect: () => Promise<Client>,
  address: string,
  sweepIds: string[],
): Promise<SweepResult[]> {
  let client: Client;
  try {
    client = await connect();
  } catch (err) {
    const why = `Temporal at ${address} does not answer (${(err as Error).message})`;
    const fix = '; start the server (vsweep server) or check --address';
    const results = sweepIds.map((sweepId) => storedOrThrow(sweepId, why, fix));
    process.stderr.write(
      `Temporal at ${address} does not answer: read from the results store (${storeFile()})\n`,
    );
    return results;
  }
  return Promise.all(sweepIds.map((sweepId) => loadSweepResult(client, sweepId)));
}
