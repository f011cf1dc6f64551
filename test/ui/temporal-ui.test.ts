// The Temporal Web UI tells a sweep's story: headless Chromium opens the test's own server's UI,
// filters the workflow list by the sweep id and sees the sweep and its experiments with their summaries.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getSweepResult, startSweep } from '../../src/client';
import { freePort } from '../../src/temporal/devserver';
import { startStack, type Stack } from '../helpers/stack';
import { chromiumSkip, launchChromium } from '../helpers/browser';

const skip = chromiumSkip;
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');

describe('Temporal Web UI', { skip, timeout: 120_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ uiPort: await freePort() });
    await stack.startWorker();
  });
  after(async () => {
    await stack?.close();
  });

  it('lists the experiments of one sweep, filtered by VsweepSweepId, with their summaries', async () => {
    const spec = stack.spec((raw) => {
      raw.experiments = (raw.experiments as { id: string }[]).filter((e) => ['1A', '3A'].includes(e.id));
    });
    const sweepId = await startSweep(stack.client, spec, { taskQueue: stack.taskQueue });
    const result = await getSweepResult(stack.client, sweepId);
    const childIds = result.configs.map((c) => `${sweepId}.${c.configKey}`);

    const dir = mkdtempSync(join(tmpdir(), 'vsweep-ui-'));
    // The sweep ran first: see launchChromium on why playwright-core is loaded only now.
    const browser = await launchChromium(join(dir, 'profile'), { width: 1600, height: 900 });
    try {
      const page = await browser.newPage();
      const query = encodeURIComponent(`VsweepSweepId="${sweepId}"`);
      await page.goto(`${stack.server.uiUrl}/namespaces/default/workflows?query=${query}`, {
        waitUntil: 'domcontentloaded',
      });
      for (const id of [sweepId, ...childIds]) {
        await page.getByText(id, { exact: true }).first().waitFor({ state: 'visible', timeout: 30_000 });
      }
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui.png'), fullPage: true });
      const body = await page.locator('body').innerText();
      // Nothing of another sweep: the filter holds.
      assert.equal((body.match(/serverConfigWorkflow/g) ?? []).length, childIds.length, body);

      // Stage and status are search attributes the UI filters on: the finished experiments of this sweep.
      const byStage = encodeURIComponent(
        `VsweepSweepId="${sweepId}" AND VsweepStage="done" AND VsweepStatus="ok"`,
      );
      await page.goto(`${stack.server.uiUrl}/namespaces/default/workflows?query=${byStage}`, {
        waitUntil: 'domcontentloaded',
      });
      for (const id of childIds) {
        await page.getByText(id, { exact: true }).first().waitFor({ state: 'visible', timeout: 30_000 });
      }
      await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-by-stage.png'), fullPage: true });

      // An experiment's page: its summary (the config in words) and details (datasets, load timeout).
      const oneA = result.configs.find((c) => c.label === '1A')!;
      await page.goto(
        `${stack.server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(`${sweepId}.${oneA.configKey}`)}`,
        {
          waitUntil: 'domcontentloaded',
        },
      );
      await page.getByText('User Metadata', { exact: true }).first().click({ timeout: 30_000 });
      // The UI renders summary and details (markdown) in sandboxed iframes: read every frame until
      // both are there (bounded).
      const frameText = async () =>
        (
          await Promise.all(
            page.frames().map((f) =>
              f
                .locator('body')
                .innerText()
                .catch(() => ''),
            ),
          )
        ).join('\n');
      let text = '';
      for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
        text = await frameText();
        if (/1A: .*max-model-len=32768/.test(text) && /Load timeout \d+ s/.test(text)) break;
        await page.waitForTimeout(250);
      }
      await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-experiment.png'), fullPage: true });
      assert.match(text, /Experiments 1A \(8k\)\. Load timeout \d+ s/);
      assert.match(text, /1A: [^\n]*max-model-len=32768/);
      // Each stage's activity carries a summary, e.g. the model load's timeout in words.
      const events = await page.locator('body').innerText();
      assert.match(events, /model load — EP on, eager, timeout \d+ s/);
      assert.match(events, /replay 8k for 1A/);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
