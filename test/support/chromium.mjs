// Debian's chromium driven by playwright-core (which never downloads a browser): headless, with the
// flags a sandboxed container needs, and a fresh profile per launch. Shared by the browser tests and
// the UI benchmark (plain JS so test/bench/ can import it too).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** A browser context on a fresh profile; `close()` also removes the profile. */
export async function launchChromium() {
  const profile = mkdtempSync(join(tmpdir(), 'aurora-ts-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
