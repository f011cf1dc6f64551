import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barChart, escapeXml, lineChart, niceTicks, scatterChart } from '../../src/report/svg';

const count = (svg: string, pattern: RegExp) => (svg.match(pattern) ?? []).length;

describe('svg charts', () => {
  it('niceTicks covers the range with round steps', () => {
    assert.deepEqual(niceTicks(0, 9.3), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(niceTicks(0, 0.37), [0, 0.1, 0.2, 0.3, 0.4]);
    assert.deepEqual(niceTicks(5, 5), [5, 5.1, 5.2, 5.3, 5.4, 5.5]);
  });

  it('escapeXml escapes markup and quotes', () => {
    assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('barChart draws one bar per value, skips gaps, labels axes and legend', () => {
    const svg = barChart({
      title: 'TPS <per> exp',
      categories: ['1A', '2B'],
      series: [
        { name: '8k', values: [10, undefined] },
        { name: '16k & more', values: [5, 4] },
      ],
      yLabel: 'tokens/s',
    });
    assert.equal(count(svg, /<rect class="bar"/g), 3);
    assert.match(svg, /TPS &lt;per&gt; exp/);
    assert.match(svg, /16k &amp; more/);
    assert.doesNotMatch(svg, /<per>/);
    assert.equal(count(svg, /class="legend-item"/g), 2);
    assert.match(svg, />tokens\/s</);
    assert.match(svg, />10</); // top tick
    assert.doesNotMatch(svg, /class="missing"/); // 2B still has its 16k bar
  });

  it('a category with no values at all is labelled', () => {
    const svg = barChart({
      title: 't',
      categories: ['1A', '2B'],
      series: [{ name: '8k', values: [3, undefined] }],
      yLabel: 'y',
      missingLabel: 'failed',
    });
    assert.match(svg, /<text class="missing"[^>]*>failed</);
  });

  it('bar heights are proportional to values', () => {
    const svg = barChart({
      title: 't',
      categories: ['a', 'b'],
      series: [{ name: 's', values: [10, 5] }],
      yLabel: 'y',
    });
    const heights = [...svg.matchAll(/class="bar"[^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.equal(heights.length, 2);
    assert.ok(Math.abs(heights[0]! / heights[1]! - 2) < 1e-9);
  });

  it('scatterChart places a point per finite sample and labels both axes', () => {
    const svg = scatterChart({
      title: 'ttft',
      series: [
        {
          name: '1A',
          points: [
            { x: 1000, y: 0.5 },
            { x: 8000, y: 1.2 },
            { x: NaN, y: 1 },
          ],
        },
      ],
      xLabel: 'prompt tokens',
      yLabel: 'TTFT (s)',
    });
    assert.equal(count(svg, /<circle class="point"/g), 2);
    assert.match(svg, />prompt tokens</);
    assert.match(svg, />8000</);
  });

  it('lineChart breaks the line at missing nights', () => {
    const svg = lineChart({
      title: 'trend',
      xLabels: ['d1', 'd2', 'd3', 'd4', 'd5'],
      series: [{ name: '1A 8k', values: [10, 11, undefined, 12, 12.5] }],
      yLabel: 'tps',
    });
    assert.equal(count(svg, /<polyline/g), 2);
    assert.equal(count(svg, /<circle class="point"/g), 4);
  });

  it('an empty chart says so instead of drawing NaN', () => {
    const svg = barChart({
      title: 't',
      categories: ['a'],
      series: [{ name: 's', values: [undefined] }],
      yLabel: 'y',
    });
    assert.match(svg, /no data/);
    assert.doesNotMatch(svg, /NaN|Infinity/);
  });
});
