import { z } from 'zod';
import { CLIENT_FRAME_SCHEMAS, type ClientFrameType, frameRef } from '../client-frames.js';
import { SERVER_FRAME_SCHEMAS, type ServerFrameType } from '../server-frame-schemas.js';
import { authOpenApi, edgeOpenApi } from './openapi.js';

/**
 * A client frame as it travels: `type`, the optional `ref` the answer repeats, and the frame's
 * own fields. The JSON Schema describes the input a client sends (`io: 'input'`); rules zod checks
 * in code (a message body's byte length, a password's strength) have no JSON Schema form and are
 * left out, so a frame the schema accepts may still be refused with `bad_request`.
 */
function clientFrame(type: ClientFrameType) {
  const envelope = z.object({ type: z.literal(type), ref: frameRef.optional() });
  return envelope.and(CLIENT_FRAME_SCHEMAS[type]).meta({ title: type, description: `The \`${type}\` client frame.` });
}

function serverFrame(type: ServerFrameType) {
  return SERVER_FRAME_SCHEMAS[type].meta({ title: type, description: `The \`${type}\` server frame.` });
}

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  return z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** One schema that accepts any of `schemas` (each also has a file of its own). */
function anyOf(schemas: z.ZodType[], title: string, description: string): z.ZodType {
  const [first, second, ...rest] = schemas;
  if (!first || !second) throw new Error(`fewer than two ${title}s`);
  return z.union([first, second, ...rest]).meta({ title, description });
}

/**
 * Every generated contract document, by file name: one JSON Schema per client frame
 * (`client.<type>.json`) and `client-frames.json`, which accepts any of them; the same for the
 * frames the server sends (`server.<type>.json`, `server-frames.json`, describing what the server
 * writes: `io: 'output'`); and the OpenAPI 3.1 documents of the HTTP APIs (`openapi-auth.json`,
 * `openapi-edge.json`). Checked in under docs/contracts (`npm run contracts`) and served by the
 * apps at `/contracts/<name>`.
 */
export function contractDocuments(): Map<string, string> {
  const files = new Map<string, string>();
  const clientTypes = Object.keys(CLIENT_FRAME_SCHEMAS).sort() as ClientFrameType[];
  for (const type of clientTypes) files.set(`client.${type}.json`, render(toJsonSchema(clientFrame(type), 'input')));
  const anyClient = anyOf(
    clientTypes.map(clientFrame),
    'client frame',
    'Any frame a client may send over the WebSocket (see client.<type>.json for each).',
  );
  files.set('client-frames.json', render(toJsonSchema(anyClient, 'input')));
  const serverTypes = Object.keys(SERVER_FRAME_SCHEMAS).sort() as ServerFrameType[];
  for (const type of serverTypes) files.set(`server.${type}.json`, render(toJsonSchema(serverFrame(type), 'output')));
  const anyServer = anyOf(
    serverTypes.map(serverFrame),
    'server frame',
    'Any frame the server sends over the WebSocket (see server.<type>.json for each).',
  );
  files.set('server-frames.json', render(toJsonSchema(anyServer, 'output')));
  files.set('openapi-auth.json', render(authOpenApi()));
  files.set('openapi-edge.json', render(edgeOpenApi()));
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

function render(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
