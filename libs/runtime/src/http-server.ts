import { createServer, type RequestListener, type Server } from 'node:http';

export interface ListenOptions {
  host: string;
  port: number;
}

/** Starts an HTTP server and resolves once it listens; rejects on EADDRINUSE and the like. */
export function listen(handler: RequestListener, options: ListenOptions): Promise<Server> {
  const server = createServer(handler);
  // Slowloris guard: a client gets this long to send its headers.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Stops accepting connections and resolves when the open ones are done. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}

/** The port a server actually listens on (differs from the configured one when that was 0). */
export function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}
