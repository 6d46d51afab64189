import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_FRAME_SCHEMAS, contractDocuments, frameRef, SERVER_FRAME_SCHEMAS } from '@chat/contracts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import { CONTRACTS_DIR } from '../../scripts/src/contract-schemas.js';
import { REPO_ROOT } from '../support/app-process.js';

const dir = join(REPO_ROOT, CONTRACTS_DIR);

describe('JSON Schemas of the contracts (docs/contracts)', () => {
  it('are checked in exactly as the generator writes them now (npm run contracts)', () => {
    const generated = contractDocuments();
    const checkedIn = readdirSync(dir).filter((name) => name.endsWith('.json'));
    expect(checkedIn.sort(), 'files').to.deep.equal([...generated.keys()].sort());
    for (const [name, text] of generated) {
      expect(readFileSync(join(dir, name), 'utf8'), `${name} differs: run npm run contracts`).to.equal(text);
    }
  });

  for (const [side, schemas] of [
    ['client', CLIENT_FRAME_SCHEMAS],
    ['server', SERVER_FRAME_SCHEMAS],
  ] as const) {
    it(`cover every ${side} frame type, each a valid draft 2020-12 schema`, () => {
      const ajv = new Ajv2020({ strict: true, validateFormats: false, allErrors: true });
      for (const type of Object.keys(schemas)) {
        const schema = JSON.parse(readFileSync(join(dir, `${side}.${type}.json`), 'utf8'));
        expect(ajv.validateSchema(schema), type).to.equal(true);
        expect(schema.properties.type.const, type).to.equal(type);
      }
    });
  }

  it('accept and refuse what the zod schemas accept and refuse', () => {
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    const anyFrame = ajv.compile(JSON.parse(readFileSync(join(dir, 'client-frames.json'), 'utf8')));
    const uuid = '0190a000-0000-7000-8000-000000000001';
    const frames: [unknown, boolean][] = [
      [{ type: 'message.send', ref: 1, conversationId: uuid, body: 'hi', clientMsgId: 'c-1' }, true],
      [{ type: 'message.send', conversationId: 'nope', body: 'hi' }, false],
      [{ type: 'message.send', conversationId: uuid, body: '' }, false],
      [{ type: 'message.send', conversationId: uuid }, false],
      [{ type: 'presence.query', userIds: [uuid] }, true],
      [{ type: 'presence.query', userIds: Array.from({ length: 101 }, () => uuid) }, false],
      [{ type: 'conversation.create_group', title: 'Team', members: [uuid] }, true],
      [{ type: 'conversation.create_group', title: '', members: [] }, false],
      [{ type: 'history.get', conversationId: uuid, limit: 101 }, false],
      [{ type: 'ping', ref: 'x'.repeat(64) }, true],
      [{ type: 'ping', ref: 'x'.repeat(65) }, false],
      [{ type: 'ping', ref: 1.5 }, false],
      [{ type: 'no.such.frame' }, false],
    ];
    for (const [frame, valid] of frames) {
      const { type, ref, ...fields } = frame as { type: string; ref?: unknown };
      const schema = CLIENT_FRAME_SCHEMAS[type as keyof typeof CLIENT_FRAME_SCHEMAS];
      const zodValid =
        schema?.safeParse(fields).success === true && (ref === undefined || frameRef.safeParse(ref).success);
      const shown = JSON.stringify(frame).slice(0, 80);
      expect(anyFrame(frame), shown).to.equal(valid);
      expect(zodValid, `zod: ${shown}`).to.equal(valid);
    }
  });
});
