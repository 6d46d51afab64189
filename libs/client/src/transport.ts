/**
 * What the SDK needs of the platform: a WebSocket and `fetch`. The browser's globals and the `ws`
 * package both fit. No Node-only module is imported here, so the SDK runs in browsers as it is.
 */
export interface WebSocketLike {
  readonly readyState: number;
  // Events typed loosely so that both the DOM's and `ws`'s event types fit.
  onopen: ((event: any) => void) | null;
  /** `event.data`: the frame's text. */
  onmessage: ((event: any) => void) | null;
  /** `event.code`, `event.reason`. */
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * A WebSocket constructor. The second argument is passed only to constructors that take options
 * (`ws`: `{ headers }`); browsers get the token in the URL instead.
 */
export type WebSocketConstructorLike = new (url: string, protocolsOrOptions?: any, options?: any) => WebSocketLike;

export type FetchLike = (
  input: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: any },
) => Promise<{ status: number; ok: boolean; text(): Promise<string> }>;

/** How the access token reaches the edge: an `Authorization` header (only `ws` sets one) or `?access_token=`. */
export type TokenTransport = 'header' | 'query';

export interface WebSocketChoice {
  WebSocket: WebSocketConstructorLike;
  tokenTransport: TokenTransport;
}

export const OPEN = 1;

/**
 * The WebSocket to use: the one given; else the global one (browsers, Node 22), which cannot set
 * headers; else the `ws` package, imported only when there is no global one (Node 20). The name
 * is in a variable so that browser bundlers do not try to resolve it.
 */
export async function chooseWebSocket(
  given: WebSocketConstructorLike | undefined,
  tokenTransport: TokenTransport | undefined,
): Promise<WebSocketChoice> {
  if (given) return { WebSocket: given, tokenTransport: tokenTransport ?? 'header' };
  const global = (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
  if (global) return { WebSocket: global, tokenTransport: tokenTransport ?? 'query' };
  const wsPackage = 'ws';
  try {
    const loaded = (await import(/* @vite-ignore */ wsPackage)) as { default?: WebSocketConstructorLike };
    if (loaded.default) return { WebSocket: loaded.default, tokenTransport: tokenTransport ?? 'header' };
  } catch {
    // not installed: say so below
  }
  throw new Error('no WebSocket here: pass one in the options (in Node 20: `ws`)');
}

export function globalFetch(): FetchLike | undefined {
  const candidate = (globalThis as { fetch?: FetchLike }).fetch;
  return candidate ? candidate.bind(globalThis) : undefined;
}

/** Text of a message event: a string in browsers and in `ws` (text frames), else bytes. */
export function frameText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data as Uint8Array);
  return String(data);
}

export function withAccessToken(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
}
