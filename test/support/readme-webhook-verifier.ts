import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './app-process.js';

/** The marker README.md puts before the verification snippet it gives webhook receivers. */
const MARKER = '<!-- webhook-verification';

export type ChatWebhookCheck = (
  headers: Record<string, string | string[] | undefined>,
  rawBody: string | Buffer,
  secret: string,
  nowS?: number,
) => boolean;

/** The ```js block after the marker, as written: what a reader copies. */
export function readmeVerificationSnippet(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const marker = readme.indexOf(MARKER);
  if (marker < 0) throw new Error(`README.md has no "${MARKER}" block`);
  const block = /```js\n([\s\S]*?)\n```/.exec(readme.slice(marker));
  if (!block?.[1]) throw new Error('README.md has no ```js block after the webhook verification marker');
  return block[1];
}

/**
 * The README's verification function itself, imported as a module: tests verify with the code
 * receivers are told to use, so the documentation cannot drift from what the notifier sends.
 */
export const isFromChat: ChatWebhookCheck = await (async () => {
  const source = readmeVerificationSnippet();
  const module = (await import(`data:text/javascript,${encodeURIComponent(source)}`)) as { isFromChat?: unknown };
  if (typeof module.isFromChat !== 'function') throw new Error('the README snippet exports no isFromChat function');
  return module.isFromChat as ChatWebhookCheck;
})();
