// Opens a rendered report in real headless Chromium: the SVG charts must lay out with a visible size.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { renderHtml } from '../../src/report/html';
import { openStore } from '../../src/store';
import { sweepResult } from '../helpers/sweep-result';
import { chromiumSkip, launchChromium } from '../helpers/browser';

// Debian's Chromium, never a downloaded build (this network cannot fetch one).
const skip = chromiumSkip;
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');

describe('html report in Chromium', { skip }, () => {
  it('draws every chart with a non-zero size and saves a screenshot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vsweep-html-'));
    const store = openStore(':memory:');
    for (const [i, tps] of [10, 10.6, 9.7, 11.2, 12].entries()) {
      store.recordSweep(
        sweepResult({ sweepId: `n${i}`, tps, startedAt: `2026-11-0${i + 1}T02:00:00Z`, failB: i === 3 }),
      );
    }
    const html = renderHtml(
      sweepResult({ sweepId: 'n4', tps: 12, startedAt: '2026-11-05T02:00:00Z', failB: true }),
      {
        history: store.history({ specName: 'glm-nightly' }),
      },
    );
    store.close();
    const file = join(dir, 'report.html');
    writeFileSync(file, html);

    const browser = await launchChromium(join(dir, 'profile'), { width: 1280, height: 900 });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href);
      const charts = await page.locator('svg.chart').evaluateAll((svgs) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          return {
            title: svg.querySelector('title')?.textContent ?? '',
            width: box.width,
            height: box.height,
            marks: svg.querySelectorAll('.bar, .point, .line').length,
          };
        }),
      );
      assert.deepEqual(
        charts.map((c) => c.title),
        [
          'Throughput per experiment',
          'Request latency per experiment',
          'TTFT vs prompt length',
          'mean tokens/s across sweeps',
        ],
      );
      for (const chart of charts) {
        assert.ok(
          chart.width > 100 && chart.height > 100,
          `${chart.title} is ${chart.width}x${chart.height}`,
        );
        assert.ok(chart.marks > 0, `${chart.title} has no bars, points or lines`);
      }
      // Self-contained: the page asked for nothing but itself.
      assert.deepEqual(requests, [pathToFileURL(file).href]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
