import { createServer, type Server } from 'node:http';
import { isFromChat } from './readme-webhook-verifier.js';

export interface ReceivedWebhook {
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** The status this receiver answered. */
  status: number;
  at: number;
}

/**
 * A webhook endpoint of the test's own: records every request and answers with the status the
 * test chose for it (by order of arrival), so retries and backoff can be observed for real.
 */
export class WebhookReceiver {
  readonly requests: ReceivedWebhook[] = [];
  #server: Server | undefined;
  #answer: (index: number) => number = () => 200;

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const status = this.#answer(this.requests.length);
        this.requests.push({
          body: Buffer.concat(chunks).toString('utf8'),
          headers: req.headers,
          status,
          at: Date.now(),
        });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks/chat`;
  }

  /** Decides the status of the n-th request (0-based). */
  answerWith(answer: (index: number) => number): void {
    this.#answer = answer;
  }

  accepted(): Array<ReceivedWebhook & { json: any }> {
    return this.requests
      .filter((r) => r.status >= 200 && r.status < 300)
      .map((r) => ({ ...r, json: JSON.parse(r.body) }));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

/** Whether a request passes the README's verification, judged at the moment it arrived. */
export function verifiedOnArrival(request: ReceivedWebhook, secret: string): boolean {
  return isFromChat(request.headers, request.body, secret, request.at / 1000);
}
