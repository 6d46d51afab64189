import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core (which brings no browser of its own: nothing is
 * downloaded). `.ci/run` installs the package; `CHROMIUM_PATH` points elsewhere.
 */
const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath(): string {
  const given = process.env.CHROMIUM_PATH;
  if (given) {
    if (!existsSync(given)) throw new Error(`CHROMIUM_PATH=${given} does not exist`);
    return given;
  }
  const found = CHROMIUM_CANDIDATES.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `Chromium is missing (looked for ${CHROMIUM_CANDIDATES.join(', ')}): the browser tests need it. ` +
        'Install it with `apt-get install -y chromium` (.ci/run does), or set CHROMIUM_PATH.',
    );
  }
  return found;
}

/** Headless, and without the sandbox, which Chromium cannot set up as root in a container. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox'] });
}
