import { ChatError, contractDocuments } from '@chat/contracts';
import { Router } from 'express';

/**
 * `GET /contracts`: the names of the machine-readable contracts; `GET /contracts/<name>`: one of
 * them (the JSON Schemas of every client and server frame, the OpenAPI documents of both HTTP
 * APIs), generated from libs/contracts at the first request (not at start: few ask), so they are
 * those of the running version.
 * No token needed: they describe the API, not anyone's data.
 */
export function contractRoutes(): Router {
  let generated: Map<string, string> | undefined;
  const documents = () => {
    generated ??= contractDocuments();
    return generated;
  };
  const router = Router();
  router.get('/contracts', (_req, res) => {
    res.json({ documents: [...documents().keys()] });
  });
  router.get('/contracts/:name', (req, res) => {
    const text = documents().get(req.params.name);
    if (text === undefined) throw new ChatError('not_found', `no contract named ${JSON.stringify(req.params.name)}`);
    res.type('application/json').send(text);
  });
  return router;
}
