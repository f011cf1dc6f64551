import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadTimeoutPolicy } from '../../src/plan/load-timeout';
import { loadTimeoutSchema } from '../../src/spec/schema';
import { loadSummary } from '../../src/workflows/server-config';

const adaptive = loadTimeoutSchema.parse({});

describe('load timeout policy', () => {
  it('gives expert-parallel eager servers the base load time with margin', () => {
    const t = loadTimeoutPolicy(adaptive, { 'enable-expert-parallel': true, 'enforce-eager': true });
    assert.equal(t.totalSec, 155 * 1.5);
    assert.equal(t.compileSec, 0);
  });

  it('doubles the load time when expert parallelism is off (every GPU loads every expert)', () => {
    const t = loadTimeoutPolicy(adaptive, { 'enforce-eager': true });
    assert.equal(t.loadSec, 310 * 1.5);
    assert.ok(t.totalSec > 310, "the seed's 310 s load fits");
    assert.match(t.explanation, /x2 \(EP off\)/);
  });

  it('adds the compile budget when eager mode is off', () => {
    const t = loadTimeoutPolicy(adaptive, { 'enable-expert-parallel': true });
    assert.equal(t.compileSec, 1800);
    assert.ok(t.totalSec > 155 + 21 * 60, 'a 21-minute torch.compile fits');
  });

  it("uses one number under the fixed policy, like the seed's runs", () => {
    const t = loadTimeoutPolicy({ ...adaptive, policy: 'fixed', fixedSec: 300 }, {});
    assert.equal(t.totalSec, 300);
    assert.ok(t.totalSec < 310, "the seed's EP-off load does not fit");
  });
});

describe('load activity summary (Temporal UI)', () => {
  it('says what the timeout is made of', () => {
    const flags = { 'enforce-eager': true };
    assert.equal(
      loadSummary(flags, loadTimeoutPolicy(adaptive, flags)),
      'model load — EP off, eager, timeout 465 s',
    );
  });
});
