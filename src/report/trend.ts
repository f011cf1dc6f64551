// Turns stored history into a line chart's input: one x position per sweep, one series per experiment/dataset.
import type { StoredRun } from '../store/types';
import type { LineChartInput } from './svg';

/** `metric` names a stored aggregate, e.g. `tpsMean`, `latencyP90`, `ttftP50`. */
export function trendFromHistory(runs: StoredRun[], metric: string, yLabel: string): LineChartInput {
  const sweeps = [...new Map(runs.map((r) => [r.sweepId, r.sweepStartedAt])).entries()].sort((a, b) =>
    a[1].localeCompare(b[1]),
  );
  const column = new Map(sweeps.map(([id], i) => [id, i]));
  const series = new Map<string, (number | undefined)[]>();
  for (const run of runs) {
    const name = `${run.experimentId} ${run.dataset}`;
    const values = series.get(name) ?? new Array<number | undefined>(sweeps.length).fill(undefined);
    // A resumed sweep may hold a later attempt of the same row: the last recorded one wins.
    if (run.outcome === 'ok') values[column.get(run.sweepId)!] = run.metrics[metric];
    series.set(name, values);
  }
  return {
    title: `${yLabel} across sweeps`,
    xLabels: sweeps.map(([, startedAt]) => startedAt.slice(0, 10)),
    series: [...series.entries()].map(([name, values]) => ({ name, values })),
    yLabel,
  };
}
