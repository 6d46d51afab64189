import { Writable } from 'node:stream';
import { REDACT_PATHS, redactUrl } from '@chat/logger';
import { expect } from 'chai';
import { pino } from 'pino';

function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = pino({ redact: { paths: REDACT_PATHS, censor: '[Redacted]' } }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
  };
}

describe('log redaction', () => {
  it('censors passwords, tokens and authorization headers, at the top level and one level down', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        password: 'hunter2',
        accessToken: 'eyJ.a.b',
        body: { refreshToken: 'r1', password: 'p2' },
        req: { headers: { authorization: 'Bearer eyJ.c.d', cookie: 'sid=1' } },
        userId: 'u1',
      },
      'event',
    );
    const text = JSON.stringify(lines());
    for (const secret of ['hunter2', 'eyJ.a.b', 'r1', 'p2', 'eyJ.c.d', 'sid=1']) expect(text).not.to.include(secret);
    expect(lines()[0]?.userId).to.equal('u1');
  });

  it('strips tokens from query strings of logged URLs', () => {
    expect(redactUrl('/ws?access_token=eyJ.x.y&foo=1')).to.equal('/ws?access_token=[Redacted]&foo=1');
    expect(redactUrl('/ws?a=1&token=abc')).to.equal('/ws?a=1&token=[Redacted]');
    expect(redactUrl('/healthz')).to.equal('/healthz');
  });
});
