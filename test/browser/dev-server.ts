/**
 * A throwaway `wrangler dev` for the browser test: test/helpers/wrangler-dev.ts on a temporary
 * state directory that is removed when the server stops.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWranglerDev } from '../helpers/wrangler-dev.js';

export { DEV_ADMIN_TOKEN, ROOT } from '../helpers/wrangler-dev.js';

export interface DevServer {
  base: string;
  stop(): Promise<void>;
}

/** Starts the server; `vars` are extra `--var`s (on top of the dev tokens). */
export async function startDevServer(vars: Record<string, string> = {}): Promise<DevServer> {
  const state = mkdtempSync(join(tmpdir(), 'edge-sae-browser-'));
  try {
    const server = await startWranglerDev(state, vars);
    return {
      base: server.base,
      stop: async () => {
        await server.stop();
        rmSync(state, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(state, { recursive: true, force: true });
    throw error;
  }
}

/** Debian's Chromium (CHROMIUM_PATH points elsewhere), and whether it is there. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium as the browser tests run it: no sandbox (root), no GPU, no background traffic. */
export async function launchChromium(): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}
