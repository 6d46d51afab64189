import jwt from 'jsonwebtoken';
import type { PublicJwk, SigningKey } from './signing-key.js';
import { SESSION_EPOCH_CLAIM, TOKEN_ALGORITHM } from './signing-key.js';

export interface AccessTokenSignerOptions {
  issuer: string;
  audience: string;
  ttlS: number;
}

export interface SignedAccessToken {
  token: string;
  expiresIn: number;
}

export interface JwksDocument {
  keys: PublicJwk[];
}

/** Mints access tokens. Only the auth service holds one: edges verify with the public key. */
export class AccessTokenSigner {
  readonly #key: SigningKey;
  readonly #options: AccessTokenSignerOptions;

  constructor(key: SigningKey, options: AccessTokenSignerOptions) {
    this.#key = key;
    this.#options = options;
  }

  /** `sessionEpoch`: the account's epoch when the session began (see `UserDocument.sessionEpoch`). */
  sign(userId: string, sessionEpoch: number): SignedAccessToken {
    const token = jwt.sign({ [SESSION_EPOCH_CLAIM]: sessionEpoch }, this.#key.privateKey, {
      algorithm: TOKEN_ALGORITHM,
      keyid: this.#key.publicJwk.kid,
      subject: userId,
      issuer: this.#options.issuer,
      audience: this.#options.audience,
      expiresIn: this.#options.ttlS,
    });
    return { token, expiresIn: this.#options.ttlS };
  }

  jwks(): JwksDocument {
    return { keys: [this.#key.publicJwk] };
  }
}
