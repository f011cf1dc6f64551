import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSweepResults, sweepResultFromStore } from '../../src/cli/stored';
import { openStore } from '../../src/store';
import { loadTimeout, sweepResult } from '../helpers/sweep-result';

test('a sweep read back from the store is the one recorded; an old record is rebuilt from its rows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vsweep-stored-'));
  const file = join(dir, 'results.db');
  try {
    const store = openStore(file);
    const original = sweepResult({ sweepId: 's-1', tps: 9, startedAt: '2026-11-05T02:00:00Z', failB: true });
    store.recordSweep(original);
    const back = sweepResultFromStore(store, 's-1');
    assert.deepEqual(back, JSON.parse(JSON.stringify(original)));
    assert.deepEqual(back?.configs[0].loadTimeout, loadTimeout);

    // As a v1 store had it: no whole result, so the report gets rows, samples and a "not kept" timeout.
    store.close();
    const raw = new Database(file);
    raw.prepare('UPDATE sweeps SET result_json = NULL').run();
    raw.close();
    const reopened = openStore(file);
    const rebuilt = sweepResultFromStore(reopened, 's-1');
    reopened.close();
    assert.equal(rebuilt?.configs[0].loadTimeout.explanation, 'not kept in the results store');
    assert.deepEqual(
      rebuilt?.configs.flatMap((c) => c.rows.map((r) => [r.experimentId, r.dataset, r.outcome])),
      original.configs.flatMap((c) => c.rows.map((r) => [r.experimentId, r.dataset, r.outcome])),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report and compare read the store when Temporal does not answer, and say what to do when it has nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vsweep-home-'));
  const home = process.env.VSWEEP_HOME;
  process.env.VSWEEP_HOME = dir;
  try {
    const store = openStore(join(dir, 'results.db'));
    const recorded = sweepResult({ sweepId: 'kept-1', tps: 9, startedAt: '2026-11-05T02:00:00Z' });
    store.recordSweep(recorded);
    store.close();
    const down = () => Promise.reject(new Error('Failed to connect before the deadline'));
    const [back] = await loadSweepResults(down, '127.0.0.1:7233', ['kept-1']);
    assert.deepEqual(back, JSON.parse(JSON.stringify(recorded)));
    await assert.rejects(
      loadSweepResults(down, '127.0.0.1:7233', ['kept-1', 'gone-2']),
      /gone-2: Temporal at 127\.0\.0\.1:7233 does not answer \(Failed to connect before the deadline\) and the results store .* has no record of it; start the server/,
    );
  } finally {
    if (home === undefined) delete process.env.VSWEEP_HOME;
    else process.env.VSWEEP_HOME = home;
    rmSync(dir, { recursive: true, force: true });
  }
});
