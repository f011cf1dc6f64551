// Debian's Chromium, headless, for tests that look at pages the way a person would.
import { existsSync } from 'node:fs';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** node:test's `skip` value: false when Chromium is installed, else the reason and the fix. */
export const chromiumSkip: false | string = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: apt-get install chromium`;

/**
 * A fresh profile in `profileDir` (Playwright takes it here rather than as --user-data-dir). Background
 * networking is off: this machine's closed network refuses Chromium's update and sync calls. playwright-core
 * is imported only when called (with it loaded, an in-process simulated server's streams were seen to hang).
 */
export async function launchChromium(
  profileDir: string,
  viewport: { width: number; height: number },
): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
