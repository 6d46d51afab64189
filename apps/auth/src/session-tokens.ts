import { createHash, randomBytes } from 'node:crypto';
import { ChatError, type TokenPair } from '@chat/contracts';
import { type RefreshTokenDocument, type RefreshTokenRepository, RefreshTokenReusedError } from '@chat/storage';
import type { AccessTokenSigner } from '@chat/tokens';
import { v7 as uuidv7 } from 'uuid';

const REFRESH_TOKEN_BYTES = 32;

export interface SessionTokensOptions {
  refreshTtlS: number;
}

/** Issues token pairs and rotates refresh tokens: each is single-use, and a replay revokes its family. */
export class SessionTokens {
  readonly #signer: AccessTokenSigner;
  readonly #refreshTokens: RefreshTokenRepository;
  readonly #options: SessionTokensOptions;

  constructor(signer: AccessTokenSigner, refreshTokens: RefreshTokenRepository, options: SessionTokensOptions) {
    this.#signer = signer;
    this.#refreshTokens = refreshTokens;
    this.#options = options;
  }

  /**
   * A new session (a new token family) for a user who just proved their password, in the
   * account's current session epoch.
   */
  async issue(userId: string, sessionEpoch: number): Promise<TokenPair> {
    const { raw, document } = this.#newRefreshToken(userId, uuidv7(), sessionEpoch);
    await this.#refreshTokens.insert(document);
    return this.#pair(userId, raw, sessionEpoch);
  }

  /** Spends a refresh token for a new pair. Unknown, expired, revoked or replayed: `unauthorized`. */
  async refresh(rawRefreshToken: string): Promise<TokenPair> {
    const now = new Date();
    const current = await this.#refreshTokens.findByHash(hashToken(rawRefreshToken));
    if (!current || current.revokedAt || current.expiresAt <= now) {
      throw new ChatError('unauthorized', 'refresh token is invalid or expired');
    }
    // The family's own epoch, not the account's: a refresh racing a password change must not
    // carry an ended family into the new epoch.
    const epoch = current.sessionEpoch ?? 0;
    const { raw, document } = this.#newRefreshToken(current.userId, current.familyId, epoch);
    try {
      await this.#refreshTokens.rotate(current, document);
    } catch (error) {
      if (!(error instanceof RefreshTokenReusedError)) throw error;
      await this.#refreshTokens.revokeFamily(current.familyId, now);
      throw new ChatError('unauthorized', 'refresh token was already used; the session is revoked');
    }
    return this.#pair(current.userId, raw, epoch);
  }

  /**
   * Ends the session `rawRefreshToken` belongs to: its whole family is revoked, whichever of its
   * tokens is given (a spent one too). An unknown token ends nothing, and is no error.
   */
  async logout(rawRefreshToken: string): Promise<void> {
    const token = await this.#refreshTokens.findByHash(hashToken(rawRefreshToken));
    if (token) await this.#refreshTokens.revokeFamily(token.familyId, new Date());
  }

  /**
   * Every session of the user ends, and one new one begins in the account's new epoch
   * `sessionEpoch`: the device that changed the password.
   */
  async replaceAll(userId: string, sessionEpoch: number): Promise<TokenPair> {
    await this.#refreshTokens.revokeAllOf(userId, new Date());
    return this.issue(userId, sessionEpoch);
  }

  #pair(userId: string, refreshToken: string, sessionEpoch: number): TokenPair {
    const access = this.#signer.sign(userId, sessionEpoch);
    return { accessToken: access.token, refreshToken, tokenType: 'Bearer', expiresIn: access.expiresIn };
  }

  #newRefreshToken(
    userId: string,
    familyId: string,
    sessionEpoch: number,
  ): { raw: string; document: RefreshTokenDocument } {
    const raw = randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
    const now = Date.now();
    return {
      raw,
      document: {
        _id: hashToken(raw),
        userId,
        familyId,
        sessionEpoch,
        createdAt: new Date(now),
        expiresAt: new Date(now + this.#options.refreshTtlS * 1000),
      },
    };
  }
}

/** Refresh tokens carry 256 random bits, so a fast hash is enough; only the hash is stored. */
function hashToken(raw: string): string {
  return createHash('sha256').update(raw).digest('hex');
}
