import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

export interface Frame {
  type: string;
  ref?: string | number;
  [field: string]: any;
}

/** The server answered a request with an `error` frame. */
export class FrameError extends Error {
  readonly code: string;
  readonly frame: Frame;

  constructor(frame: Frame) {
    super(`${frame.code}: ${frame.message}`);
    this.code = frame.code;
    this.frame = frame;
  }
}

export interface ConnectOptions {
  /** Put the token in `?access_token=` instead of the Authorization header. */
  tokenInQuery?: boolean;
  headers?: Record<string, string>;
  /** Do not wait for session.ready. */
  noReady?: boolean;
}

/**
 * A real WebSocket client of an edge node, as an app would be: it connects with a Bearer
 * token, keeps every frame it receives, and pairs requests with their ack or error by `ref`.
 */
export class ChatClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  ready: Frame | undefined;
  #nextRef = 1;
  readonly #waiters = new Set<() => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#notify();
      });
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === 'session.ready' && !this.ready) this.ready = frame;
      this.frames.push(frame);
      this.#notify();
    });
  }

  static async connect(edgeUrl: string, token: string | undefined, options: ConnectOptions = {}): Promise<ChatClient> {
    const url = new URL('/ws', edgeUrl.replace(/^http/, 'ws'));
    const headers: Record<string, string> = { ...options.headers };
    if (token && options.tokenInQuery) url.searchParams.set('access_token', token);
    else if (token) headers.authorization = `Bearer ${token}`;
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    const client = new ChatClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () =>
          reject(
            Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body }),
          ),
        );
      });
    });
    if (!options.noReady) await client.waitFor((frame) => frame.type === 'session.ready', 10_000);
    return client;
  }

  /** Sends a frame as it is (for hostile-input tests). */
  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /**
   * Sends frames in one write, so the edge reads them all before it answers any (a burst, as
   * an abusive client would send it). ws keeps its socket private; corking it is the only way.
   */
  sendBurst(frames: Array<Record<string, unknown>>): void {
    const socket = (this.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
    socket.cork();
    for (const frame of frames) this.send(frame);
    socket.uncork();
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends a frame with a fresh ref and resolves with its ack (rejects with FrameError on an error frame). */
  async request(type: string, fields: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Frame> {
    const ref = `r${this.#nextRef++}`;
    this.send({ type, ref, ...fields });
    const answer = await this.waitFor(
      (frame) => frame.ref === ref && (frame.type === 'ack' || frame.type === 'error'),
      timeoutMs,
    );
    if (answer.type === 'error') throw new FrameError(answer);
    return answer;
  }

  /** The first frame (already received or coming) that matches. */
  async waitFor(match: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('connection closed while waiting for a frame');
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no matching frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until `count` frames match, and returns them in arrival order. */
  async waitForCount(match: (frame: Frame) => boolean, count: number, timeoutMs = 20_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.filter(match);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`only ${found.length} of ${count} frames within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  messagesIn(conversationId: string): Frame[] {
    return this.frames.filter(
      (frame) => frame.type === 'message.new' && frame.message.conversationId === conversationId,
    );
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) {
      this.#waiters.delete(waiter);
      waiter();
    }
  }
}
