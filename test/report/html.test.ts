import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderHtml } from '../../src/report/html';
import { openStore } from '../../src/store';
import { sweepResult } from '../helpers/sweep-result';

describe('html report', () => {
  it('is self-contained: inline CSS, SVG charts, no scripts or external resources', () => {
    const html = renderHtml(sweepResult({ failB: true }));
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<style>/);
    assert.equal((html.match(/<svg /g) ?? []).length, 3);
    assert.doesNotMatch(html, /<script|<link |src="http|href="http/);
    assert.match(html, /TTFT vs prompt length/);
    assert.match(html, /not ready after 240 s, &quot;weights&quot; &lt; 50%/);
  });

  it('escapes text from the spec and the cluster', () => {
    const result = sweepResult();
    result.sweepId = '<img src=x onerror=alert(1)>';
    result.descriptions['1A'] = '<b>bold</b>';
    const html = renderHtml(result);
    assert.doesNotMatch(html, /<img|<b>bold/);
    assert.match(html, /&lt;img src=x/);
  });

  it('adds a trend chart from history and a verdict column from the regression check', () => {
    const store = openStore(':memory:');
    for (const [i, tps] of [10, 11, 12].entries()) {
      store.recordSweep(sweepResult({ sweepId: `n${i}`, tps, startedAt: `2026-11-0${i + 1}T02:00:00Z` }));
    }
    const html = renderHtml(sweepResult({ sweepId: 'n2' }), {
      history: store.history({ specName: 'glm-nightly' }),
      regression: {
        sweepId: 'n2',
        specName: 'glm-nightly',
        model: 'm',
        counts: { regression: 1, improvement: 0, 'no-change': 0, 'insufficient-data': 0, failed: 0 },
        rows: [
          { experimentId: '1A', configKey: '1A-aaaa', config: 'EP=on', dataset: '8k', verdict: 'regression' },
        ],
      },
    });
    store.close();
    assert.equal((html.match(/<svg /g) ?? []).length, 4);
    assert.match(html, /mean tokens\/s across sweeps/);
    assert.match(html, />2026-11-03</);
    assert.match(html, /vs baseline/);
    assert.match(html, /▼ regression/);
  });
});
