import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicJwkOf } from '@chat/tokens';
import jwt from 'jsonwebtoken';
import { KEYS_DIR } from './test-environment.js';

/**
 * Tokens an attacker (or a clock) could present. The real key is read from this run's key
 * directory, which the auth process under test generated on its first start.
 */
const ISSUER = 'chat-auth';
const AUDIENCE = 'chat';

function realKey() {
  return createPrivateKey(readFileSync(join(KEYS_DIR, 'access-token-es256.pem'), 'utf8'));
}

/** The kid the auth service puts on its tokens: the thumbprint of its key. */
export function realKid(): string {
  return publicJwkOf(realKey()).kid;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A correctly signed token for `userId`, with claim overrides (exp, nbf, iss, aud, ...). */
export function signValid(userId: string, claims: Record<string, unknown> = {}, kid?: string): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign({ iat: now, exp: now + 600, iss: ISSUER, aud: AUDIENCE, sub: userId, ...claims }, realKey(), {
    algorithm: 'ES256',
    keyid: kid ?? realKid(),
    noTimestamp: true,
  });
}

/** Every forgery the verifier must refuse, named for the test report. */
export function forgeries(userId: string, validToken: string): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  const kid = realKid();
  const claims = { iat: now, exp: now + 600, iss: ISSUER, aud: AUDIENCE, sub: userId };
  const [header, , signature] = validToken.split('.');
  const publicPem = createPublicKey(realKey()).export({ type: 'spki', format: 'pem' }).toString();
  const hsHeader = b64({ alg: 'HS256', typ: 'JWT', kid });
  const hsBody = b64(claims);
  const hsSignature = createHmac('sha256', publicPem).update(`${hsHeader}.${hsBody}`).digest('base64url');
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return {
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
    'HS256 signed with the public key': `${hsHeader}.${hsBody}.${hsSignature}`,
    'signed by another key with the real kid': jwt.sign(claims, stranger, { algorithm: 'ES256', keyid: kid }),
    'unknown kid': signValid(userId, {}, 'no-such-key'),
    expired: signValid(userId, { exp: now - 60, iat: now - 700 }, kid),
    'not yet valid': signValid(userId, { nbf: now + 600 }, kid),
    'wrong issuer': signValid(userId, { iss: 'someone-else' }, kid),
    'wrong audience': signValid(userId, { aud: 'another-app' }, kid),
    'tampered payload': `${header}.${b64({ ...claims, sub: '11111111-1111-4111-8111-111111111111' })}.${signature}`,
    'not a JWT': 'hello.world',
    'empty signature': `${header}.${b64(claims)}.`,
    'alg and kid as objects': `${b64({ alg: { toString: true }, typ: 'JWT', kid: { toString: true } })}.${b64(claims)}.${signature}`,
  };
}
