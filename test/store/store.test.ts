import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openStore, type ResultsStore } from '../../src/store';
import { sweepResult } from '../helpers/sweep-result';

describe('results store', () => {
  let dir: string;
  let dbPath: string;
  let store: ResultsStore;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vsweep-store-'));
    dbPath = join(dir, 'results.db');
    store = openStore(dbPath);
    // Three nightly sweeps with TPS 10, 11, 12; the third loses config 2B at load.
    for (const [i, tps] of [10, 11, 12].entries()) {
      store.recordSweep(
        sweepResult({
          sweepId: `nightly-${i + 1}`,
          tps,
          startedAt: `2026-11-0${i + 1}T02:00:00Z`,
          failB: i === 2,
        }),
        { specHash: 'abc123', recordedAt: `2026-11-0${i + 1}T06:00:00.000Z` },
      );
    }
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a sweep with its derived status and normalised times', () => {
    const sweep = store.sweep('nightly-3');
    assert.equal(sweep?.status, 'partial');
    assert.equal(sweep?.startedAt, '2026-11-03T02:00:00.000Z');
    assert.equal(sweep?.specHash, 'abc123');
    assert.equal(store.sweep('nightly-1')?.status, 'completed');
    assert.equal(store.sweep('missing'), undefined);
  });

  it('stores per-row metrics, samples, flags and failures', () => {
    const rows = store.latestRows('nightly-3');
    assert.equal(rows.length, 4);
    const ok = rows.find((r) => r.experimentId === '1A' && r.dataset === '8k')!.latest;
    assert.ok(Math.abs(ok.metrics.tpsMean! - 12) < 0.01);
    assert.equal(ok.metrics.samplesOk, 4);
    assert.equal(ok.samples.length, 4);
    assert.deepEqual(ok.flags, { 'enable-expert-parallel': true, 'max-model-len': 32768 });
    assert.equal(ok.recordsFile, '/runs/1A-8k.jsonl');
    const failed = rows.find((r) => r.experimentId === '2B' && r.dataset === '8k')!.latest;
    assert.equal(failed.outcome, 'failed');
    assert.equal(failed.failedStage, 'load');
    assert.match(failed.reason ?? '', /not ready/);
    assert.equal(failed.metrics.tpsMean, undefined);
  });

  it('re-recording a sweep replaces its rows instead of duplicating them', () => {
    store.recordSweep(sweepResult({ sweepId: 'nightly-1', tps: 10, startedAt: '2026-11-01T02:00:00Z' }));
    assert.equal(store.history({ configKey: '1A-aaaa', dataset: '8k' }).length, 3);
  });

  it('filters history by config, dataset and time, oldest first, limit keeping the newest', () => {
    const all = store.history({ specName: 'glm-nightly', configKey: '1A-aaaa', dataset: '8k' });
    assert.deepEqual(
      all.map((r) => r.sweepId),
      ['nightly-1', 'nightly-2', 'nightly-3'],
    );
    const limited = store.history({ configKey: '1A-aaaa', dataset: '8k', limit: 2 });
    assert.deepEqual(
      limited.map((r) => r.sweepId),
      ['nightly-2', 'nightly-3'],
    );
    const window = store.history({
      experimentId: '1A',
      since: '2026-11-02T00:00:00Z',
      until: new Date('2026-11-02T23:00:00Z'),
    });
    assert.deepEqual(
      window.map((r) => `${r.sweepId}/${r.dataset}`),
      ['nightly-2/8k', 'nightly-2/16k'],
    );
    assert.equal(store.history({ specName: 'other' }).length, 0);
  });

  it('baseline takes the last N good runs, skips failures and the excluded sweep', () => {
    const last2 = store.baseline({ specName: 'glm-nightly', configKey: '2B-bbbb', dataset: '8k', lastN: 2 });
    // nightly-3 failed for 2B, so the last two good runs are nightly-1 and nightly-2.
    assert.deepEqual(
      last2.map((r) => r.sweepId),
      ['nightly-1', 'nightly-2'],
    );
    const excluded = store.baseline({
      specName: 'glm-nightly',
      configKey: '1A-aaaa',
      dataset: '8k',
      lastN: 5,
      excludeSweepId: 'nightly-3',
    });
    assert.deepEqual(
      excluded.map((r) => r.sweepId),
      ['nightly-1', 'nightly-2'],
    );
    const pinned = store.baseline({
      specName: 'glm-nightly',
      configKey: '1A-aaaa',
      dataset: '8k',
      lastN: 5,
      pinnedSweepId: 'nightly-1',
    });
    assert.deepEqual(
      pinned.map((r) => r.sweepId),
      ['nightly-1'],
    );
  });

  it('a resumed sweep counts its rows as later attempts and latestRows shows the chain', () => {
    const retry = sweepResult({ sweepId: 'nightly-3-resume', tps: 12, startedAt: '2026-11-03T07:00:00Z' });
    retry.configs = retry.configs.filter((c) => c.configKey === '2B-bbbb');
    store.recordSweep(retry, { resumedFrom: 'nightly-3' });
    const rows = store.latestRows('nightly-3-resume');
    assert.equal(rows.length, 4);
    const b8k = rows.find((r) => r.experimentId === '2B' && r.dataset === '8k')!;
    assert.deepEqual(
      b8k.history.map((r) => [r.sweepId, r.attempt, r.resumed, r.outcome]),
      [
        ['nightly-3', 1, false, 'failed'],
        ['nightly-3-resume', 2, true, 'ok'],
      ],
    );
    assert.equal(b8k.latest.outcome, 'ok');
    // Rows the resume did not rerun keep their original attempt.
    const a8k = rows.find((r) => r.experimentId === '1A' && r.dataset === '8k')!;
    assert.equal(a8k.latest.sweepId, 'nightly-3');
    assert.equal(a8k.history.length, 1);
  });

  it('lists sweeps newest first, limited', () => {
    // The resume (started 07:00 on the 3rd) is newer than the sweep it resumed (02:00).
    assert.deepEqual(
      store.sweeps(3).map((s) => s.id),
      ['nightly-3-resume', 'nightly-3', 'nightly-2'],
    );
    assert.equal(store.sweeps().length, 4);
  });

  it('persists across reopen', () => {
    store.close();
    store = openStore(dbPath);
    assert.equal(store.history({ dataset: '16k', experimentId: '1A' }).length, 3);
  });

  it('keeps the whole SweepResult (startup stages, load timeouts, descriptions) for reports later', () => {
    const original = sweepResult({
      sweepId: 'whole-1',
      tps: 9,
      startedAt: '2026-11-05T02:00:00Z',
      failB: true,
    });
    store.recordSweep(original);
    assert.deepEqual(store.sweepResult('whole-1'), JSON.parse(JSON.stringify(original)));
    assert.equal(store.sweepResult('no-such-sweep'), undefined);
  });

  it('a resumed sweep: reused rows stay the earlier runs, but its whole result keeps them', () => {
    const resumed = sweepResult({ sweepId: 'whole-2', tps: 9, startedAt: '2026-11-05T09:00:00Z' });
    for (const row of resumed.configs[0].rows) row.reusedFrom = 'whole-1';
    store.recordSweep(resumed, { resumedFrom: 'whole-1' });
    const own = store.history().filter((r) => r.sweepId === 'whole-2');
    assert.deepEqual([...new Set(own.map((r) => r.configKey))], [resumed.configs[1].configKey]);
    assert.deepEqual(store.sweepResult('whole-2'), JSON.parse(JSON.stringify(resumed)));
  });
});

describe('results store schema', () => {
  it('upgrades a v1 store in place; its sweeps have no whole result, their rows stay', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vsweep-store-v1-'));
    const file = join(dir, 'results.db');
    try {
      // A store as v1 left it: written by today's code, then the v2 column dropped again.
      const current = openStore(file);
      current.recordSweep(sweepResult({ sweepId: 'old-1', tps: 7, startedAt: '2026-10-01T02:00:00Z' }));
      current.close();
      const v1 = new Database(file);
      v1.exec('ALTER TABLE sweeps DROP COLUMN result_json');
      v1.pragma('user_version = 1');
      v1.close();
      const upgraded = openStore(file);
      try {
        assert.equal(upgraded.sweep('old-1')?.status, 'completed');
        assert.equal(upgraded.sweepResult('old-1'), undefined);
        assert.equal(upgraded.latestRows('old-1').length, 4);
        upgraded.recordSweep(sweepResult({ sweepId: 'new-1', tps: 8, startedAt: '2026-11-06T02:00:00Z' }));
        assert.equal(upgraded.sweepResult('new-1')?.sweepId, 'new-1');
      } finally {
        upgraded.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
