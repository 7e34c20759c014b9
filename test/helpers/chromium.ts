// Headless Chromium for the browser tests: Debian's chromium (CHROME_PATH or
// /usr/bin/chromium) with WebGPU enabled (SwiftShader on machines without a GPU), a fresh
// profile per launch, and the flags that keep it off the network.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The Chromium binary the tests launch: CHROME_PATH, else Debian's /usr/bin/chromium. */
export function chromiumPath(): string {
  return process.env.CHROME_PATH || '/usr/bin/chromium';
}

/** Why the browser tests cannot run here (no Chromium binary), or null when they can. */
export function missingChromium(): string | null {
  const path = chromiumPath();
  return existsSync(path) ? null : `no Chromium at ${path} (install Debian's chromium, or set CHROME_PATH)`;
}

export interface LaunchedChromium {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'emgpu-chrome-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS, `--user-data-dir=${profile}`],
    protocolTimeout: 600_000,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
