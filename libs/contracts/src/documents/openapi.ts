import { z } from 'zod';
import { directTarget, groupSpec } from '../chat.js';
import {
  conversationAnswer,
  currentMessageAnswer,
  httpErrorAnswer,
  listedConversationAnswer,
  publicUserAnswer,
  tokenPairAnswer,
} from '../http-answers.js';
import {
  changePasswordBody,
  deleteAccountBody,
  loginBody,
  logoutBody,
  refreshBody,
  registerBody,
  updateMeBody,
  userLookupQuery,
  userSearchQuery,
} from '../http-auth.js';
import { historyHttpQuery } from '../http-chat.js';

/**
 * OpenAPI 3.1 documents of the two HTTP APIs. The routes, statuses and words are listed here;
 * every schema in them (bodies, query parameters, answers) is generated from libs/contracts with
 * `z.toJSONSchema`, the same schemas the apps validate with and build their answers from.
 */

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _draft, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Json;
  return rest;
}

const json = (schema: z.ZodType) => ({ 'application/json': { schema: schemaOf(schema, 'output') } });

function answer(description: string, schema?: z.ZodType): Json {
  return schema ? { description, content: json(schema) } : { description };
}

const errorAnswer = (description: string) => answer(description, httpErrorAnswer);

/** Query (or path) parameters: one per property of an object schema, as the client sends it. */
function parameters(schema: z.ZodType, where: 'query' | 'path'): Json[] {
  const input = schemaOf(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(input.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (input.required ?? []).includes(name),
    schema: property,
  }));
}

interface Operation {
  summary: string;
  bearer?: boolean;
  body?: z.ZodType;
  parameters?: Json[];
  answers: Record<string, Json>;
}

function operation(op: Operation): Json {
  const answers: Record<string, Json> = { ...op.answers };
  if (op.body) answers['400'] ??= errorAnswer('bad_request: the body does not match the schema');
  if (op.bearer) answers['401'] ??= errorAnswer('unauthorized: no, invalid or expired token, or a deleted account');
  return {
    summary: op.summary,
    ...(op.bearer ? { security: [{ bearer: [] }] } : {}),
    ...(op.parameters?.length ? { parameters: op.parameters } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(op.body, 'input') } } } }
      : {}),
    responses: answers,
  };
}

function document(title: string, description: string, port: number, paths: Record<string, Record<string, Json>>) {
  return {
    openapi: '3.1.0',
    info: { title, version: '0.1.0', description },
    servers: [{ url: `http://127.0.0.1:${port}` }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  };
}

const health = {
  '/healthz': { get: operation({ summary: 'up', answers: { '200': answer('the process serves') } }) },
  '/readyz': {
    get: operation({
      summary: 'ready',
      answers: {
        '200': answer('every dependency answers'),
        '503': errorAnswer('unavailable: a dependency does not answer'),
      },
    }),
  },
};

const rateLimited = errorAnswer('rate_limited; `Retry-After` says when to try again');
const usersAnswer = z.object({ users: z.array(publicUserAnswer) });

export function authOpenApi(): Json {
  return document('chat auth API', 'Accounts, sessions and user lookups. See README.md, "Auth API".', 8080, {
    '/register': {
      post: operation({
        summary: 'create an account',
        body: registerBody,
        answers: {
          '201': answer('the account', publicUserAnswer),
          '409': errorAnswer('conflict: the login is taken'),
          '429': rateLimited,
        },
      }),
    },
    '/login': {
      post: operation({
        summary: 'start a session',
        body: loginBody,
        answers: {
          '200': answer('a token pair', tokenPairAnswer),
          '401': errorAnswer('unauthorized: login or password is wrong'),
          '429': rateLimited,
        },
      }),
    },
    '/token/refresh': {
      post: operation({
        summary: 'spend a refresh token for a new pair',
        body: refreshBody,
        answers: {
          '200': answer('a token pair', tokenPairAnswer),
          '401': errorAnswer('unauthorized: unknown, expired, revoked or replayed (the family is revoked)'),
        },
      }),
    },
    '/logout': {
      post: operation({
        summary: "end the refresh token's session (its family)",
        body: logoutBody,
        answers: { '204': answer('ended, or nothing to end') },
      }),
    },
    '/password': {
      post: operation({
        summary: 'change the password; every other session ends',
        bearer: true,
        body: changePasswordBody,
        answers: { '200': answer('a new token pair for this device', tokenPairAnswer), '429': rateLimited },
      }),
    },
    '/me': {
      get: operation({
        summary: 'who the token is',
        bearer: true,
        answers: { '200': answer('you', publicUserAnswer) },
      }),
      patch: operation({
        summary: 'change the display name',
        bearer: true,
        body: updateMeBody,
        answers: { '200': answer('you, renamed', publicUserAnswer) },
      }),
      delete: operation({
        summary: 'delete the account',
        bearer: true,
        body: deleteAccountBody,
        answers: { '204': answer('deleted; its tokens and sockets end'), '429': rateLimited },
      }),
    },
    '/users': {
      get: operation({
        summary: 'search by login prefix (`login`), or look up by ids (`ids`); give one of them',
        bearer: true,
        parameters: [
          ...parameters(userSearchQuery, 'query').map((p) => ({ ...p, required: false })),
          ...parameters(userLookupQuery, 'query').map((p) => ({ ...p, required: false })),
        ],
        answers: {
          '200': answer('at most 20 users for a search; the known ones of the ids, in their order', usersAnswer),
          '400': errorAnswer('bad_request: neither or both parameters, or one malformed'),
          '429': rateLimited,
        },
      }),
    },
    '/.well-known/jwks.json': {
      get: operation({ summary: 'the public signing keys', answers: { '200': answer('a JWK set') } }),
    },
    ...health,
  });
}

export function edgeOpenApi(): Json {
  const conversation = z.object({ conversation: conversationAnswer });
  return document(
    'chat edge REST API',
    'Conversations and history over HTTP, beside the WebSocket. See README.md, "Edge REST API".',
    8081,
    {
      '/conversations': {
        get: operation({
          summary: 'your conversations, newest activity first',
          bearer: true,
          answers: {
            '200': answer(
              'every conversation, with unread',
              z.object({ conversations: z.array(listedConversationAnswer) }),
            ),
          },
        }),
      },
      '/conversations/direct': {
        post: operation({
          summary: 'open (or find) the direct conversation with a user',
          bearer: true,
          body: directTarget,
          answers: { '200': answer('the conversation', conversation), '404': errorAnswer('not_found: no such user') },
        }),
      },
      '/conversations/group': {
        post: operation({
          summary: 'create a group; the creator is a member and its owner',
          bearer: true,
          body: groupSpec,
          answers: {
            '201': answer('the group', conversation),
            '404': errorAnswer('not_found: a member does not exist'),
          },
        }),
      },
      '/conversations/{conversationId}/messages': {
        get: operation({
          summary: 'a page of messages in their current state, ascending seq',
          bearer: true,
          parameters: [
            ...parameters(z.object({ conversationId: z.uuid() }), 'path'),
            ...parameters(historyHttpQuery, 'query'),
          ],
          answers: {
            '200': answer('the page', z.object({ messages: z.array(currentMessageAnswer) })),
            '400': errorAnswer('bad_request: a malformed id or parameter'),
            '403': errorAnswer('forbidden: not a member'),
          },
        }),
      },
      ...health,
    },
  );
}
