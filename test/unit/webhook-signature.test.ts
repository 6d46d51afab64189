import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import {
  NOTIFICATION_ID_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  webhookSignature,
} from '../../apps/notifier/src/transports/webhook-signature.js';
import { isFromChat } from '../support/readme-webhook-verifier.js';

const SECRET = 'unit-test-webhook-secret';
const ID = '8e0c41f6a0b3d2c1e5f4a3b2c1d0e9f8';
const BODY = '{"userId":"u","conversationId":"c","messageIds":["m"],"count":1,"preview":"hé ✓","createdAt":"x"}';
const SIGNED_AT = 1_795_851_351;

/** The headers the notifier sends for one attempt signed at `timestamp`. */
function signedHeaders(timestamp: number, parts: { id?: string; body?: string; secret?: string } = {}) {
  const id = parts.id ?? ID;
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [NOTIFICATION_ID_HEADER]: id,
    [SIGNATURE_HEADER]: webhookSignature({ timestamp, id, body: parts.body ?? BODY, secret: parts.secret ?? SECRET }),
  };
}

/**
 * The webhook signature covers the attempt's time, the notification id and the body, and the
 * verification README.md gives receivers (run here as written) refuses replays and swaps.
 */
describe('webhook signature', () => {
  it('is v1= and the hex HMAC-SHA256 of "<timestamp>.<id>.<body>", as README.md documents', () => {
    const expected = createHmac('sha256', SECRET).update(`${SIGNED_AT}.${ID}.${BODY}`, 'utf8').digest('hex');
    expect(webhookSignature({ timestamp: SIGNED_AT, id: ID, body: BODY, secret: SECRET })).to.equal(`v1=${expected}`);
  });

  it('passes the README check while fresh, for the body as a string or as the bytes received', () => {
    const headers = signedHeaders(SIGNED_AT);
    expect(isFromChat(headers, BODY, SECRET, SIGNED_AT)).to.equal(true);
    expect(isFromChat(headers, Buffer.from(BODY, 'utf8'), SECRET, SIGNED_AT + 299)).to.equal(true);
    expect(isFromChat(headers, BODY, SECRET, SIGNED_AT - 299)).to.equal(true);
  });

  it('is refused when replayed more than 5 minutes later, or dated more than 5 minutes ahead', () => {
    const headers = signedHeaders(SIGNED_AT);
    expect(isFromChat(headers, BODY, SECRET, SIGNED_AT + 301)).to.equal(false);
    expect(isFromChat(headers, BODY, SECRET, SIGNED_AT + 24 * 3600)).to.equal(false);
    expect(isFromChat(headers, BODY, SECRET, SIGNED_AT - 301)).to.equal(false);
  });

  it('is refused when the timestamp, the id, the body or the secret is not the signed one', () => {
    const headers = signedHeaders(SIGNED_AT);
    const now = SIGNED_AT + 400;
    // An old capture relabelled with a fresh timestamp: the signature no longer matches.
    expect(isFromChat({ ...headers, [TIMESTAMP_HEADER]: String(now) }, BODY, SECRET, now)).to.equal(false);
    // The same signed body under another id (to slip past a receiver's duplicate check).
    const otherId = { ...headers, [NOTIFICATION_ID_HEADER]: 'f'.repeat(32) };
    expect(isFromChat(otherId, BODY, SECRET, SIGNED_AT)).to.equal(false);
    expect(isFromChat(headers, BODY.replace('"count":1', '"count":2'), SECRET, SIGNED_AT)).to.equal(false);
    expect(isFromChat(headers, BODY, 'another-secret-entirely', SIGNED_AT)).to.equal(false);
    expect(
      isFromChat(signedHeaders(SIGNED_AT, { secret: 'another-secret-entirely' }), BODY, SECRET, SIGNED_AT),
    ).to.equal(false);
  });

  it('is refused without its headers, or in the old body-only form', () => {
    const headers = signedHeaders(SIGNED_AT);
    const bodyOnly = `sha256=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`;
    expect(isFromChat({ ...headers, [SIGNATURE_HEADER]: bodyOnly }, BODY, SECRET, SIGNED_AT)).to.equal(false);
    expect(isFromChat({ ...headers, [TIMESTAMP_HEADER]: undefined }, BODY, SECRET, SIGNED_AT)).to.equal(false);
    expect(isFromChat({ ...headers, [TIMESTAMP_HEADER]: `${SIGNED_AT}.5` }, BODY, SECRET, SIGNED_AT)).to.equal(false);
    expect(isFromChat({ ...headers, [NOTIFICATION_ID_HEADER]: undefined }, BODY, SECRET, SIGNED_AT)).to.equal(false);
    expect(isFromChat({ ...headers, [SIGNATURE_HEADER]: undefined }, BODY, SECRET, SIGNED_AT)).to.equal(false);
    expect(isFromChat({ ...headers, [SIGNATURE_HEADER]: 'v1=zz' }, BODY, SECRET, SIGNED_AT)).to.equal(false);
  });
});
