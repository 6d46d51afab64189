import { ChatClient, type WebSocketConstructorLike } from '@chat/client';
import type { CurrentMessage } from '@chat/contracts';
import WebSocket from 'ws';
import type { TestSystem } from './system.js';

/** ws://host:port/ws of an app's http://host:port. */
export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/ws`;
}

/**
 * The test's hold on an SDK client's network: `down` makes every new connection fail (as if the
 * edges were unreachable); `drop()` cuts the open sockets without a close handshake.
 */
export class NetworkGate {
  down = false;
  readonly sockets: WebSocket[] = [];

  drop(): void {
    for (const socket of this.sockets.splice(0)) socket.terminate();
  }

  WebSocket(): WebSocketConstructorLike {
    const gate = this;
    return class GatedWebSocket extends WebSocket {
      constructor(url: string | URL, options?: WebSocket.ClientOptions) {
        super(gate.down ? 'ws://127.0.0.1:9/ws' : url, options);
        gate.sockets.push(this);
      }
    };
  }
}

/** An SDK client on the system's edges, tried in `edgeOrder`, with `ws` as its WebSocket. */
export function sdkClient(system: TestSystem, edgeOrder: number[], gate?: NetworkGate): ChatClient {
  return new ChatClient({
    authUrl: system.auth.url,
    edgeUrls: edgeOrder.map((i) => wsUrl(system.edges[i]?.url ?? '')),
    WebSocket: gate ? gate.WebSocket() : WebSocket,
    reconnect: { initialDelayMs: 100, maxDelayMs: 2_000 },
  });
}

/** Every message of a conversation as `history.get` returns it to this client's user, paged by afterSeq. */
export async function fullHistory(client: ChatClient, conversationId: string): Promise<CurrentMessage[]> {
  const all: CurrentMessage[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = (await client.history({ conversationId, afterSeq, limit: 100 })) as CurrentMessage[];
    if (page.length === 0) return all;
    all.push(...page);
    afterSeq = page[page.length - 1]?.seq ?? afterSeq;
  }
}

export async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
