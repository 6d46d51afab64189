import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TOKEN_ALGORITHM = 'ES256';
/** The private claim that carries the session epoch an access token was issued in. */
export const SESSION_EPOCH_CLAIM = 'sep';
const CURVE = 'P-256';
const PRIVATE_KEY_FILE = 'access-token-es256.pem';

export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: typeof TOKEN_ALGORITHM;
  use: 'sig';
}

export interface SigningKey {
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

export interface SigningKeySource {
  /** PEM from the environment: production's way. */
  privateKeyPem?: string | undefined;
  /** Where a local key pair is kept when no PEM is given; created on first start. */
  keysDir: string;
}

/**
 * The auth service's ES256 key: from the environment when given, otherwise the local key
 * pair in `keysDir`, generated on first start so a fresh checkout runs without set-up.
 */
export function loadOrCreateSigningKey(source: SigningKeySource): SigningKey {
  const privateKey = source.privateKeyPem
    ? createPrivateKey(source.privateKeyPem)
    : readOrGenerateLocalKey(source.keysDir);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the access-token signing key must be an EC P-256 private key (ES256)');
  }
  return { privateKey, publicJwk: publicJwkOf(privateKey) };
}

function readOrGenerateLocalKey(keysDir: string): KeyObject {
  const path = join(keysDir, PRIVATE_KEY_FILE);
  try {
    return createPrivateKey(readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: CURVE });
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if another process created the file first; then both use that one.
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    return privateKey;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return createPrivateKey(readFileSync(path, 'utf8'));
  }
}

/** The public half of a P-256 key as a JWK, with its thumbprint as `kid`. */
export function publicJwkOf(key: KeyObject): PublicJwk {
  const jwk = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== CURVE || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new Error('the access-token key must be an EC P-256 key (ES256)');
  }
  // RFC 7638 thumbprint: the key's own id, stable for as long as the key is.
  const canonical = JSON.stringify({ crv: CURVE, kty: 'EC', x: jwk.x, y: jwk.y });
  const kid = createHash('sha256').update(canonical).digest('base64url');
  return { kty: 'EC', crv: CURVE, x: jwk.x, y: jwk.y, kid, alg: TOKEN_ALGORITHM, use: 'sig' };
}
