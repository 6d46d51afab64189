import argon2 from 'argon2';

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * argon2id hashing. The same parameters hash a throwaway password at start, so a login for an
 * unknown user costs one verification too and cannot be told apart by timing.
 */
export class PasswordHasher {
  readonly #parameters: Argon2Parameters;
  #decoyHash: string | undefined;

  constructor(parameters: Argon2Parameters) {
    this.#parameters = parameters;
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.#parameters });
  }

  verify(hash: string, password: string): Promise<boolean> {
    return argon2.verify(hash, password);
  }

  /** True when a stored hash was made with other parameters and should be replaced at the next login. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, { ...this.#parameters });
  }

  /** Spends the time of one verification and always fails: the unknown-user path of a login. */
  async verifyDecoy(password: string): Promise<false> {
    this.#decoyHash ??= await this.hash(`decoy-${Math.random()}`);
    await argon2.verify(this.#decoyHash, password);
    return false;
  }
}
