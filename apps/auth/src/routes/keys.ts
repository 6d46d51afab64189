import type { AccessTokenSigner } from '@chat/tokens';
import { Router } from 'express';

/** GET /.well-known/jwks.json: the public keys edges verify access tokens with. */
export function keyRoutes(signer: AccessTokenSigner) {
  const router = Router();
  const body = signer.jwks();

  router.get('/.well-known/jwks.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(body);
  });

  return router;
}
