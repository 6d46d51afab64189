/**
 * What the SDK needs of a WebSocket: the browser's global `WebSocket` and the `ws` package's both
 * fit. No Node-only module is imported here, so the SDK runs in browsers as it is.
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

export const OPEN = 1;

export function globalWebSocket(): WebSocketConstructorLike | undefined {
  return (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
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
