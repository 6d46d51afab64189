/** A URL fit for a log line or an error message: credentials removed. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = parsed.username ? '***' : '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** A dependency the app cannot start without was not reachable; the message says which and where. */
export class DependencyUnreachableError extends Error {
  constructor(what: string, url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${what} is not reachable at ${safeUrl(url)}: ${reason}`, { cause });
    this.name = 'DependencyUnreachableError';
  }
}

/** Runs a connect step and turns its failure into a DependencyUnreachableError naming the dependency. */
export async function connectTo<T>(what: string, url: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    throw new DependencyUnreachableError(what, url, error);
  }
}
