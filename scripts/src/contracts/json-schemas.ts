import { CLIENT_FRAME_SCHEMAS, type ClientFrameType, frameRef } from '@chat/contracts';
import { z } from 'zod';
import { authOpenApi, edgeOpenApi } from './openapi.js';

/** Where the generated schemas are checked in, relative to the repository root. */
export const CONTRACTS_DIR = 'docs/contracts';

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

function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}

/**
 * Every generated file, by name under CONTRACTS_DIR: one JSON Schema per client frame
 * (`client.<type>.json`), `client-frames.json`, which accepts any of them, and the OpenAPI 3.1
 * documents of the HTTP APIs (`openapi-auth.json`, `openapi-edge.json`).
 */
export function contractFiles(): Map<string, string> {
  const types = Object.keys(CLIENT_FRAME_SCHEMAS).sort() as ClientFrameType[];
  const files = new Map<string, string>();
  for (const type of types) files.set(`client.${type}.json`, render(toJsonSchema(clientFrame(type))));
  const [first, second, ...rest] = types.map(clientFrame);
  if (!first || !second) throw new Error('fewer than two client frames');
  const any = z.union([first, second, ...rest]).meta({
    title: 'client frame',
    description: 'Any frame a client may send over the WebSocket (see client.<type>.json for each).',
  });
  files.set('client-frames.json', render(toJsonSchema(any)));
  files.set('openapi-auth.json', render(authOpenApi()));
  files.set('openapi-edge.json', render(edgeOpenApi()));
  return files;
}

function render(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
