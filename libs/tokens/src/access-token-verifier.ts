import { createPublicKey, type KeyObject } from 'node:crypto';
import { ChatError, UnavailableError } from '@chat/contracts';
import jwt from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { publicJwkOf, SESSION_EPOCH_CLAIM, TOKEN_ALGORITHM } from './signing-key.js';

export interface AccessTokenVerifierOptions {
  /** Where the auth service publishes its keys; used when no PEM is given. */
  jwksUrl?: string | undefined;
  /** A fixed public key; when set, the JWKS endpoint is never asked. */
  publicKeyPem?: string | undefined;
  issuer: string;
  audience: string;
}

export interface VerifiedAccessToken {
  userId: string;
  /** When the token stops being valid, in ms since the epoch. */
  expiresAtMs: number;
  /** The account's session epoch when the token's session began; tokens from before this claim are 0. */
  sessionEpoch: number;
}

export type InvalidTokenReason = 'missing' | 'malformed' | 'expired' | 'not_yet_valid' | 'invalid';

/** The token was refused; `reason` is for logs and metrics, clients just get `unauthorized`. */
export class InvalidTokenError extends ChatError {
  readonly reason: InvalidTokenReason;

  constructor(reason: InvalidTokenReason, message: string) {
    super('unauthorized', message);
    this.name = 'InvalidTokenError';
    this.reason = reason;
  }
}

/** The keys could not be fetched: the token may be fine, so this is `unavailable`, not `unauthorized`. */
export class KeysUnavailableError extends UnavailableError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KeysUnavailableError';
  }
}

const MAX_TOKEN_CHARS = 4_096;

/**
 * Verifies access tokens with the auth service's public key, pinned to ES256: `none`, HS256
 * signed with the public key, or any other algorithm is refused before a key is even chosen.
 */
export class AccessTokenVerifier {
  readonly #options: AccessTokenVerifierOptions;
  readonly #fixedKey: KeyObject | undefined;
  readonly #fixedKid: string | undefined;
  readonly #jwks: JwksClient | undefined;

  constructor(options: AccessTokenVerifierOptions) {
    this.#options = options;
    this.#fixedKey = options.publicKeyPem ? createPublicKey(options.publicKeyPem) : undefined;
    this.#fixedKid = this.#fixedKey ? publicJwkOf(this.#fixedKey).kid : undefined;
    if (!this.#fixedKey && !options.jwksUrl) throw new Error('a token verifier needs a public key or a JWKS URL');
    this.#jwks = this.#fixedKey
      ? undefined
      : new JwksClient({
          jwksUri: options.jwksUrl ?? '',
          cache: true,
          cacheMaxEntries: 10,
          cacheMaxAge: 10 * 60_000,
          // An unknown kid triggers a fetch (key rotation); the limiter stops forged kids from hammering auth.
          rateLimit: true,
          jwksRequestsPerMinute: 10,
          timeout: 5_000,
        });
  }

  async verify(token: string | undefined): Promise<VerifiedAccessToken> {
    if (!token) throw new InvalidTokenError('missing', 'no access token');
    if (token.length > MAX_TOKEN_CHARS) throw new InvalidTokenError('malformed', 'access token too long');
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw new InvalidTokenError('malformed', 'not a JWT');
    if (decoded.header.alg !== TOKEN_ALGORITHM) {
      throw new InvalidTokenError(
        'invalid',
        `algorithm ${JSON.stringify(decoded.header.alg)?.slice(0, 32)} is not accepted`,
      );
    }
    const key = await this.#keyFor(decoded.header.kid);
    let payload: jwt.JwtPayload | string;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: this.#options.issuer,
        audience: this.#options.audience,
      });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw new InvalidTokenError('expired', 'access token expired');
      if (error instanceof jwt.NotBeforeError)
        throw new InvalidTokenError('not_yet_valid', 'access token not yet valid');
      throw new InvalidTokenError('invalid', `access token rejected: ${(error as Error).message}`);
    }
    if (typeof payload === 'string' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number') {
      throw new InvalidTokenError('invalid', 'access token without subject or expiry');
    }
    const epoch: unknown = payload[SESSION_EPOCH_CLAIM] ?? 0;
    if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
      throw new InvalidTokenError('invalid', 'access token with a malformed session epoch');
    }
    return { userId: payload.sub, expiresAtMs: payload.exp * 1000, sessionEpoch: epoch };
  }

  async #keyFor(kid: string | undefined): Promise<KeyObject> {
    // A token names the key that signed it; with a fixed key, that name must be this key's.
    if (this.#fixedKey) {
      if (kid !== this.#fixedKid) throw new InvalidTokenError('invalid', 'access token signed by an unknown key');
      return this.#fixedKey;
    }
    if (!this.#jwks) throw new Error('unreachable: no key source');
    if (typeof kid !== 'string' || kid === '') throw new InvalidTokenError('invalid', 'access token without key id');
    try {
      const signingKey = await this.#jwks.getSigningKey(kid);
      return createPublicKey(signingKey.getPublicKey());
    } catch (error) {
      const name = (error as Error).name;
      // A rate-limited lookup means the key set was fetched moments ago and this kid was not in it.
      if (name === 'SigningKeyNotFoundError' || name === 'JwksRateLimitError') {
        throw new InvalidTokenError('invalid', 'access token signed by an unknown key');
      }
      throw new KeysUnavailableError(`signing keys unavailable: ${(error as Error).message}`, { cause: error });
    }
  }
}
