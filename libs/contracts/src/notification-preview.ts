/** A notification shows at most this many characters of its latest message. */
export const PREVIEW_MAX_CHARS = 100;

/**
 * The start of a message's text as a notification shows it, cut on a character boundary, with
 * an ellipsis when cut. The writer computes it when it announces the message and the notifier
 * when it reads the message from the log: both must give the same preview.
 */
export function previewOf(body: string): string {
  const chars = [...body];
  return chars.length <= PREVIEW_MAX_CHARS ? body : `${chars.slice(0, PREVIEW_MAX_CHARS - 1).join('')}…`;
}
