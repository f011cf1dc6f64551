import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { specTimeMetrics, specTimeScrape } from '../../src/activities/replay-metrics';
import { metricsTable, serverMetricsLine } from '../../src/report/metrics-md';
import { okRecord } from '../helpers/records';

const record = okRecord;

describe('metrics in the report', () => {
  it('scales a sped-up run back to spec time before computing', () => {
    // At time scale 0.01, 5 ms real is 500 ms simulated.
    const m = specTimeMetrics([record(0, [5, 6, 7])], 0.01, 0.01, { percentiles: [50, 99] });
    assert.equal(m.ttft.meanMs, 500);
    assert.equal(m.tpot.meanMs, 100);
    assert.equal(m.durationSec, 1);
    const scrape = specTimeScrape(
      { scrapes: 2, windowSec: 0.1, generationTokensPerSec: 870, source: 'metrics' },
      0.01,
    );
    assert.ok(Math.abs((scrape.generationTokensPerSec ?? 0) - 8.7) < 1e-9);
    assert.ok(Math.abs(scrape.windowSec - 10) < 1e-9);
  });

  it('renders every distribution with the chosen percentiles and the throughput line', () => {
    const m = specTimeMetrics([record(0, [10, 20, 30]), record(0, [20, 25])], 0.03, 1, {
      percentiles: [50, 99],
    });
    const md = metricsTable([m]).join('\n');
    assert.match(md, /\| Metric \(ms\) \| Mean \| Median \| Std \| P50 \| P99 \|/);
    assert.match(md, /\| TTFT \| 15\.00 \| 15\.00 \| 5\.00 \| 15\.00 \| 19\.90 \|/);
    assert.match(md, /\| E2EL \| 27\.50 \|/);
    assert.match(md, /Requests 2 ok, 0 failed/);
    assert.match(
      serverMetricsLine({ scrapes: 3, windowSec: 9, prefixCacheHitRate: 0.5, source: 'metrics' }).join(''),
      /prefix cache hit rate 50\.0%/,
    );
  });
});

describe('spec-time scaling of send times', () => {
  it('keeps back-to-back sequential requests from overlapping', () => {
    // Two sequential requests at time scale 0.01: 10 ms each, the second sent when the first ended.
    const m = specTimeMetrics([record(1000, [2, 10]), record(1010, [2, 10])], 0.02, 0.01, {
      percentiles: [50],
    });
    assert.equal(m.maxConcurrentRequests, 1);
  });
});
