import { MANAGEMENT_AUTH, MANAGEMENT_URL } from './test-environment.js';

/** A call to the RabbitMQ management HTTP API of the shared test broker. */
export async function management(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${MANAGEMENT_URL}/api${path}`, {
    method,
    headers: { authorization: MANAGEMENT_AUTH, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok && response.status !== 404) {
    throw new Error(`management ${method} ${path}: ${response.status} ${await response.text()}`);
  }
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

/** The name its client gave the connection of the active consumer of a single-active-consumer queue. */
export async function activeConsumerOf(vhost: string, queue: string): Promise<string | undefined> {
  const info = (await management('GET', `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`)) as
    | { consumer_details?: Array<{ active?: boolean; channel_details?: { peer_port?: number } }> }
    | undefined;
  const port = info?.consumer_details?.find((consumer) => consumer.active)?.channel_details?.peer_port;
  if (port === undefined) return undefined;
  const connections = (await management('GET', `/vhosts/${encodeURIComponent(vhost)}/connections`)) as Array<{
    peer_port: number;
    user_provided_name?: string;
  }>;
  return connections.find((connection) => connection.peer_port === port)?.user_provided_name;
}
