export {
  AccessTokenSigner,
  type AccessTokenSignerOptions,
  type JwksDocument,
  type SignedAccessToken,
} from './access-token-signer.js';
export {
  AccessTokenVerifier,
  type AccessTokenVerifierOptions,
  InvalidTokenError,
  type InvalidTokenReason,
  KeysUnavailableError,
  type VerifiedAccessToken,
} from './access-token-verifier.js';
export {
  loadOrCreateSigningKey,
  type PublicJwk,
  publicJwkOf,
  type SigningKey,
  type SigningKeySource,
  TOKEN_ALGORITHM,
} from './signing-key.js';
