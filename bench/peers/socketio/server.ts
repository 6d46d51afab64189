import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

/**
 * The benchmark peer: what a Node user would pick instead. Socket.IO with the Redis adapter so
 * two nodes share rooms; a room per conversation; a message is emitted to the room and acked.
 * No authentication, no persistence, no retry, no history: it is the floor, not a rival design.
 */
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.REDIS_PREFIX ?? 'chat-bench';
const publisher = new Redis(redisUrl);
const subscriber = publisher.duplicate();
const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  perMessageDeflate: false,
  adapter: createAdapter(publisher, subscriber, { key: `${prefix}:socket.io` }),
});

io.on('connection', (socket) => {
  socket.on('join', (room: string, ack?: () => void) => {
    void socket.join(room);
    ack?.();
  });
  socket.on('send', (payload: { room: string; clientMsgId: string; body: string }, ack?: (ok: boolean) => void) => {
    io.to(payload.room).emit('message', {
      clientMsgId: payload.clientMsgId,
      body: payload.body,
      room: payload.room,
      from: socket.id,
    });
    ack?.(true);
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = http.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => {
  io.close();
  publisher.disconnect();
  subscriber.disconnect();
  process.exit(0);
});
