import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import type { MixedKind, Transport } from './protocol.js';

/**
 * The load generator's client connections: real `ws` clients of the edge protocol, or
 * socket.io-client for the peer. Each thread routes every connection's answers to one set of
 * handlers, which the running scenario replaces.
 */

export interface Sender {
  send(conversationId: string, clientMsgId: string, body: string): void;
  /** One of the log's other frames (edit, delete, reaction) about an earlier message, with `ref`. */
  sendMixed(kind: MixedKind, ref: string, conversationId: string, messageId: string): void;
}

export interface Handlers {
  /** `messageId` is set for a message.send's ack (the stored message's id). */
  onAck: (ref: string, messageId: string | undefined) => void;
  onError: (ref: string, code: string) => void;
  /** `createdAt`: when the edge accepted the message (ISO time), where the protocol says. */
  onMessage: (clientMsgId: string, createdAt?: string) => void;
}

const idle: Handlers = { onAck: () => undefined, onError: () => undefined, onMessage: () => undefined };
let handlers: Handlers = idle;
const sockets: Array<{ close(): void }> = [];

export function setHandlers(next: Handlers): void {
  handlers = next;
}

export function closeAll(): void {
  for (const socket of sockets.splice(0)) socket.close();
  handlers = idle;
}

const EDITED_BODY = 'edited by the benchmark';
const EMOJI = '👍';

/** `receives`: whether this connection's pushes count (a sender's echo of its own message does not). */
export async function connectChat(baseUrl: string, token: string, receives = true): Promise<Sender> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, {
    headers: { authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  });
  sockets.push({ close: () => ws.terminate() });
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.on('message', (data) => {
      const text = data.toString();
      // Cheap dispatch on the type prefix: JSON.parse only what is measured.
      if (text.startsWith('{"type":"message.new"')) {
        if (receives) {
          const { message } = JSON.parse(text);
          handlers.onMessage(message.clientMsgId, message.createdAt);
        }
      } else if (text.startsWith('{"type":"ack"')) {
        const frame = JSON.parse(text);
        handlers.onAck(String(frame.ref), typeof frame.messageId === 'string' ? frame.messageId : undefined);
      } else if (text.startsWith('{"type":"error"')) {
        const frame = JSON.parse(text);
        handlers.onError(String(frame.ref), frame.code);
      } else if (text.startsWith('{"type":"session.ready"')) {
        resolve();
      }
    });
  });
  return {
    send(conversationId, clientMsgId, body) {
      ws.send(JSON.stringify({ type: 'message.send', ref: clientMsgId, conversationId, body, clientMsgId }));
    },
    sendMixed(kind, ref, conversationId, messageId) {
      const extra = kind === 'message.edit' ? { body: EDITED_BODY } : kind === 'message.delete' ? {} : { emoji: EMOJI };
      ws.send(JSON.stringify({ type: kind, ref, conversationId, messageId, ...extra }));
    },
  };
}

export async function connectSocketIo(baseUrl: string, room: string, receives = true): Promise<Sender> {
  const socket: Socket = io(baseUrl, { transports: ['websocket'], reconnection: false });
  sockets.push({ close: () => socket.disconnect() });
  if (receives) socket.on('message', (payload: { clientMsgId: string }) => handlers.onMessage(payload.clientMsgId));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('connect', () => socket.emit('join', room, () => resolve()));
  });
  return {
    send(conversationId, clientMsgId, body) {
      socket.emit('send', { room: conversationId, clientMsgId, body }, (ok: boolean) =>
        ok ? handlers.onAck(clientMsgId, undefined) : handlers.onError(clientMsgId, 'refused'),
      );
    },
    sendMixed() {
      // The peer has no log: nothing to edit, delete or react to.
      throw new Error('the Socket.IO peer has no edits, deletes or reactions');
    },
  };
}

export function connect(
  transport: Transport,
  url: string,
  token: string,
  room: string,
  receives = true,
): Promise<Sender> {
  return transport === 'chat' ? connectChat(url, token, receives) : connectSocketIo(url, room, receives);
}

/** Runs `work` over `items` with at most `lanes` at once: setting up 1,000 pairs one by one takes too long. */
export async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}
