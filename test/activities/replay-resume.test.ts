import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resumable } from '../../src/activities/replay';
import type { Sample } from '../../src/datasets/load';

const samples: Sample[] = ['s1', 's2', 's3'].map((id) => ({ id, prompt: id, maxTokens: 4 }));
/** A measured record of run `run`, request `index` (sample by index, as the runner sends them). */
const rec = (run: number, index: number) => ({
  sampleId: samples[index % samples.length].id,
  run,
  index,
  timeScale: 1,
  startedAtEpochMs: 0,
  chunkTimesMs: [1, 2],
  promptTokens: 1,
  completionTokens: 2,
  httpStatus: 200,
  ok: true,
});
const ids = (records: ReturnType<typeof rec>[]) => records.map((r) => `${r.run}/${r.index}`);

test('resume under load: whole runs only, from the longer of the heartbeat and the file', () => {
  // Completion order under concurrency; the heartbeat (budget) carried run 0 and part of run 1.
  const heartbeat = [rec(0, 1), rec(0, 0), rec(0, 2), rec(1, 2), rec(1, 0)];
  assert.deepEqual(ids(resumable(samples, 3, false, heartbeat, [])), ['0/0', '0/1', '0/2']);
  // The records file on this host has more: it wins, and the interrupted run 2 is measured again.
  const file = [...heartbeat, rec(1, 1), rec(2, 0)];
  assert.deepEqual(ids(resumable(samples, 3, false, heartbeat, file)), [
    '0/0',
    '0/1',
    '0/2',
    '1/0',
    '1/1',
    '1/2',
  ]);
});

test('resume in sequential mode keeps the current run up to its first gap', () => {
  const durable = [rec(0, 0), rec(0, 1), rec(0, 2), rec(1, 0), rec(1, 2)];
  assert.deepEqual(ids(resumable(samples, 3, true, durable)), ['0/0', '0/1', '0/2', '1/0']);
  // A record that does not match the dataset at its place (the dataset changed) is not kept.
  const moved = [rec(0, 0), { ...rec(0, 1), sampleId: 'other' }];
  assert.deepEqual(ids(resumable(samples, 3, true, moved)), ['0/0']);
});
