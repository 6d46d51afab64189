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

/** The frames of one side of the WebSocket, each as it is written (`io`), under one name. */
interface FrameSide {
  /** File prefix and title: `client` or `server`. */
  name: 'client' | 'server';
  /** Each frame type with its schema, in file order. */
  frames: Array<[type: string, schema: z.ZodType]>;
  io: 'input' | 'output';
  /** Who writes them, for the union's description. */
  sentBy: string;
}

/** `<side>.<type>.json` for each frame, and `<side>-frames.json`, which accepts any of them. */
function sideDocuments({ name, frames, io, sentBy }: FrameSide, into: Map<string, string>): void {
  for (const [type, schema] of frames) into.set(`${name}.${type}.json`, render(toJsonSchema(schema, io)));
  const [first, second, ...rest] = frames.map(([, schema]) => schema);
  if (!first || !second) throw new Error(`fewer than two ${name} frames`);
  const any = z.union([first, second, ...rest]).meta({
    title: `${name} frame`,
    description: `Any frame ${sentBy} over the WebSocket (see ${name}.<type>.json for each).`,
  });
  into.set(`${name}-frames.json`, render(toJsonSchema(any, io)));
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
  const serverTypes = Object.keys(SERVER_FRAME_SCHEMAS).sort() as ServerFrameType[];
  const client = clientTypes.map((type): [string, z.ZodType] => [type, clientFrame(type)]);
  const server = serverTypes.map((type): [string, z.ZodType] => [type, serverFrame(type)]);
  sideDocuments({ name: 'client', frames: client, io: 'input', sentBy: 'a client may send' }, files);
  sideDocuments({ name: 'server', frames: server, io: 'output', sentBy: 'the server sends' }, files);
  files.set('openapi-auth.json', render(authOpenApi()));
  files.set('openapi-edge.json', render(edgeOpenApi()));
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

function render(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
