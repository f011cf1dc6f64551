// Two sweeps side by side in markdown: each experiment/dataset's metrics in A and B, with the change.
import type { ConfigResult, RowResult, SweepResult } from '../workflows/types';
import { describeConfig, summarizeSamples, type RowSummary } from './markdown';

const METRICS: { key: keyof RowSummary; label: string; digits: number }[] = [
  { key: 'tokensPerSec', label: 'TPS', digits: 2 },
  { key: 'latencySec', label: 'Latency (s)', digits: 2 },
  { key: 'ttftSec', label: 'TTFT (s)', digits: 3 },
];

interface Located {
  config: ConfigResult;
  row: RowResult;
}

/** Rows are matched by experiment id and dataset, which stay stable when a config's flags change. */
export function compareSweeps(a: SweepResult, b: SweepResult): string {
  const index = (s: SweepResult) =>
    new Map(
      s.configs.flatMap((config) =>
        config.rows.map((row): [string, Located] => [
          `${row.experimentId}\u0000${row.dataset}`,
          { config, row },
        ]),
      ),
    );
  const left = index(a);
  const right = index(b);
  const keys = [...new Set([...left.keys(), ...right.keys()])];
  const out = [`# ${cell(a.sweepId)} vs ${cell(b.sweepId)}`, ''];
  out.push(
    `A: **${cell(a.sweepId)}** (${cell(a.specName)}, started ${cell(a.startedAt)}); B: **${cell(b.sweepId)}** (${cell(b.specName)}, started ${cell(b.startedAt)}).`,
  );
  out.push('Δ is B − A; Δ % is relative to A.', '');
  for (const key of keys) {
    const [experimentId, dataset] = key.split('\u0000') as [string, string];
    const x = left.get(key);
    const y = right.get(key);
    const configA = x && describeConfig(x.config.flags, a.varyingFlags);
    const configB = y && describeConfig(y.config.flags, b.varyingFlags);
    out.push(
      `## ${cell(experimentId)} / ${cell(dataset)}${(configA ?? configB) ? ` (${cell((configA ?? configB)!)})` : ''}`,
      '',
    );
    if (configA && configB && JSON.stringify(x.config.flags) !== JSON.stringify(y.config.flags)) {
      out.push(
        `Flags differ: A ${cell(JSON.stringify(x.config.flags))}, B ${cell(JSON.stringify(y.config.flags))}.`,
        '',
      );
    }
    out.push(`| Metric | A | B | Δ | Δ % |`, '|--------|---|---|---|-----|');
    const sa = summarizeSamples(x?.row.run?.samples ?? []);
    const sb = summarizeSamples(y?.row.run?.samples ?? []);
    for (const m of METRICS) {
      const va = sa[m.key];
      const vb = sb[m.key];
      const delta = va !== undefined && vb !== undefined ? vb - va : undefined;
      const pct = delta !== undefined && va !== 0 ? (delta / Math.abs(va!)) * 100 : undefined;
      out.push(
        `| ${m.label} | ${fmt(va, m.digits)} | ${fmt(vb, m.digits)} | ${signed(delta, m.digits)} | ${signed(pct, 1)}${pct === undefined ? '' : '%'} |`,
      );
    }
    out.push(`| Status | ${status(x?.row)} | ${status(y?.row)} | | |`, '');
  }
  return out.join('\n');
}

function status(row: RowResult | undefined): string {
  if (!row) return 'not run';
  if (row.outcome === 'ok') return 'ok';
  return cell(`${row.outcome}${row.failedStage ? ` (${row.failedStage})` : ''}`);
}

/** Table cells may not hold pipes or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function fmt(v: number | undefined, digits: number): string {
  return v === undefined ? '-' : v.toFixed(digits);
}

function signed(v: number | undefined, digits: number): string {
  return v === undefined ? '-' : `${v > 0 ? '+' : ''}${v.toFixed(digits)}`;
}
