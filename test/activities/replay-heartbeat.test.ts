import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ReplayHeartbeat, ReplayHeartbeats } from '../../src/activities/replay-heartbeat';

test('heartbeats: at most one a second, a flush sends the rest, records stop at the budget as a prefix', () => {
  let clockMs = 0;
  const sent: ReplayHeartbeat<string>[] = [];
  // Copies, as Temporal would serialize them at send time.
  const beats = new ReplayHeartbeats<string>(
    (d) => sent.push({ ...d, records: [...d.records] }),
    10,
    100,
    () => clockMs,
  );
  beats.add('a', 40, 0); // sent at once
  beats.add('b', 40, 0); // within the second: held
  assert.deepEqual(
    sent.map((d) => [d.samplesDone, d.records]),
    [[1, ['a']]],
  );
  clockMs = 1000;
  beats.add('c', 40, 0); // over the 100-byte budget: counted, not carried
  clockMs = 1500;
  beats.add('d', 10, 1); // would fit, but carrying it would leave a hole where c is
  beats.flush();
  beats.flush(); // nothing new: nothing sent
  assert.deepEqual(
    sent.map((d) => [d.run, d.samplesDone, d.samplesTotal, d.records]),
    [
      [0, 1, 10, ['a']],
      [0, 3, 10, ['a', 'b']],
      [1, 4, 10, ['a', 'b']],
    ],
  );
});
