import { createServer } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * The bare-`ws` baseline server: each sender's frames are relayed to the receiver of the same
 * pair, nothing else. Started as its own process, like an edge node.
 */
const receivers = new Map<string, WebSocket>();
const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 64 * 1024 });
wss.on('connection', (ws, request) => {
  const url = new URL(request.url ?? '/', 'http://relay');
  const pair = url.searchParams.get('pair') ?? '0';
  if (url.searchParams.get('role') === 'receive') {
    receivers.set(pair, ws);
    return;
  }
  ws.on('message', (data, isBinary) => {
    const receiver = receivers.get(pair);
    if (receiver?.readyState === WebSocket.OPEN) receiver.send(data, { binary: isBinary });
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
