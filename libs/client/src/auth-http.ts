import type { ErrorCode } from '@chat/contracts';
import { ChatClientError } from './errors.js';
import type { FetchLike } from './transport.js';

/**
 * One JSON request to the auth service. An answer that is not 2xx becomes a `ChatClientError`
 * with the server's `code`; a network failure is `unavailable`, as a 5xx is, so callers retry
 * both the same way.
 */
export async function authRequest<T>(
  fetch: FetchLike,
  url: string,
  options: { method?: string; body?: unknown; bearer?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  let response: Awaited<ReturnType<FetchLike>>;
  try {
    response = await fetch(url, {
      method: options.method ?? 'POST',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch (error) {
    throw new ChatClientError('unavailable', `auth unreachable: ${(error as Error).message}`);
  }
  const text = await response.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const code =
      (parsed?.error?.code as ErrorCode | undefined) ?? (response.status >= 500 ? 'unavailable' : 'internal');
    throw new ChatClientError(code, parsed?.error?.message ?? `HTTP ${response.status}`, response.status);
  }
  return parsed as T;
}
