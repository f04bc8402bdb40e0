import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

/** Where CI installs Chromium (apt-get install -y chromium). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Why browser tests cannot run here, for node:test's `skip`, or false
 * when Chromium is installed.
 */
export function chromiumMissing(): string | false {
  return existsSync(CHROMIUM_PATH)
    ? false
    : `${CHROMIUM_PATH} is absent: apt-get install -y chromium`;
}

export interface ChromiumOptions {
  /** Size of the page in CSS pixels; default 1280 × 800. */
  viewport?: { width: number; height: number };
}

export interface ChromiumPage {
  page: Page;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Headless Chromium with a throwaway profile and its own background
 * traffic (updates, sync, QUIC) turned off, so a test sees only the
 * requests its page makes.
 */
export async function launchChromium(
  options: ChromiumOptions = {},
): Promise<ChromiumPage> {
  // Loaded here so that tests without a browser do not load playwright.
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(path.join(os.tmpdir(), 'ingest-chromium-'));
  let browser: BrowserContext | undefined;
  const close = async () => {
    await browser?.close();
    await rm(profile, { recursive: true, force: true });
  };

  try {
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      viewport: options.viewport ?? { width: 1280, height: 800 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    return { page, close };
  } catch (err) {
    await close();
    throw err;
  }
}
