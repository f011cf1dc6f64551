// Resume on the real stack: 1B and 2B fail under the seed's fixed 300 s startup timeout; `resume` with
// a 40 min timeout re-runs only those two and the result shows every row ok, the resumed ones marked.
// The resumed sweep's HTML report (charts from the store's history) is written to test-artifacts.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { getSweepInput, getSweepResult, resumeSweep, startSweep } from '../../src/client';
import { renderReport } from '../../src/cli/ops';
import { applyOverrides } from '../../src/cli/overrides';
import { sweepResultFromStore } from '../../src/cli/stored';
import { renderMarkdown } from '../../src/report/markdown';
import { openStore } from '../../src/store';
import type { SweepResult } from '../../src/workflows/types';
import { stackWithWorker } from '../helpers/stack';

const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');
const rows = (r: SweepResult) => r.configs.flatMap((c) => c.rows);

describe('resume a sweep whose 1B and 2B timed out', { timeout: 120_000 }, () => {
  const stackOf = stackWithWorker();

  it('re-runs only the failed rows with a longer timeout and reports all rows ok', async () => {
    const stack = stackOf();
    const spec = applyOverrides(
      stack.spec((raw) => {
        raw.experiments = (raw.experiments as { id: string }[]).filter((e) =>
          ['1A', '1B', '2B'].includes(e.id),
        );
      }),
      { fixedLoadTimeout: '300' },
    );
    const firstId = await startSweep(stack.client, spec, { taskQueue: stack.taskQueue });
    const first = await getSweepResult(stack.client, firstId);
    assert.deepEqual(
      rows(first).map((r) => [r.experimentId, r.outcome, r.startupStage]),
      [
        ['1A', 'ok', undefined],
        ['1B', 'failed', 'torch-compile'],
        ['2B', 'failed', 'loading-weights'],
      ],
    );
    assert.equal((await getSweepInput(stack.client, firstId)).spec.timeouts.load.fixedSec, 300);

    const { sweepId, rerun } = await resumeSweep(stack.client, firstId, first, {
      taskQueue: stack.taskQueue,
      only: 'timeout',
      editSpec: (s) => applyOverrides(s, { loadTimeout: '40m' }),
    });
    assert.deepEqual(rerun, ['1B/8k', '2B/8k']);
    const resumed = await getSweepResult(stack.client, sweepId);
    const byId = new Map(rows(resumed).map((r) => [r.experimentId, r]));
    for (const id of ['1A', '1B', '2B'])
      assert.equal(byId.get(id)?.outcome, 'ok', `${id}: ${byId.get(id)?.reason}`);
    assert.equal(byId.get('1A')?.reusedFrom, firstId);
    assert.deepEqual(
      ['1B', '2B'].map((id) => [byId.get(id)?.resumedFrom?.outcome, byId.get(id)?.resumedFrom?.startupStage]),
      [
        ['failed', 'torch-compile'],
        ['failed', 'loading-weights'],
      ],
    );
    // The re-run configs got the longer timeout; 1A kept its measured run and its 300 s.
    const timeouts = Object.fromEntries(resumed.configs.map((c) => [c.label, c.loadTimeout.totalSec]));
    assert.deepEqual(timeouts, { '1A': 300, '1B': 2400, '2B': 2400 });

    const md = renderMarkdown(resumed);
    assert.match(
      md,
      /\| 1B \| [^\n]+ \| ✅ \| torch\.compile \(no enforce-eager\); resumed: was failed \(load: torch-compile\) in /,
    );
    assert.match(
      md,
      /\| 2B \| [^\n]+ \| ✅ \| No expert parallelism; resumed: was failed \(load: loading-weights\) in /,
    );

    // The store: the resumed sweep names its origin; its own rows are only the two it ran, and the
    // chain's latest rows are all ok, 1B and 2B on their second attempt.
    const store = openStore(join(stack.dir, 'results.db'));
    try {
      assert.equal(store.sweep(sweepId)?.resumedFrom, firstId);
      assert.equal(store.sweep(sweepId)?.status, 'completed');
      const latest = store.latestRows(sweepId);
      assert.deepEqual(
        latest.map((r) => [r.experimentId, r.latest.outcome, r.latest.attempt]),
        [
          ['1A', 'ok', 1],
          ['1B', 'ok', 2],
          ['2B', 'ok', 2],
        ],
      );
      const fromStore = sweepResultFromStore(store, sweepId)!;
      assert.deepEqual(
        rows(fromStore).map((r) => [r.experimentId, r.outcome, r.run?.samples.length]),
        rows(resumed).map((r) => [r.experimentId, r.outcome, r.run?.samples.length]),
      );
    } finally {
      store.close();
    }

    // The HTML report, with the trend across both sweeps from this stack's store.
    const home = process.env.VSWEEP_HOME;
    process.env.VSWEEP_HOME = stack.dir;
    try {
      const html = renderReport(resumed, 'html');
      assert.equal((html.match(/<svg [^>]*class="chart"/g) ?? []).length, 4, 'bars x2, scatter, trend');
      assert.match(html, /resumed: was failed/);
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, 'resumed-sweep.html'), html);
      const csv = renderReport(resumed, 'csv');
      assert.equal(csv.trim().split('\r\n').length, 4, 'header and three rows');
    } finally {
      if (home === undefined) delete process.env.VSWEEP_HOME;
      else process.env.VSWEEP_HOME = home;
    }
  });
});
