import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  authEnv,
  dlqReplayEnv,
  notifierEnv,
  persisterEnv,
  presenceEnv,
  servicesEnv,
  webEnv,
  wsEdgeEnv,
} from '@chat/config';
import { expect } from 'chai';
import type { z } from 'zod';
import { REPO_ROOT } from '../support/app-process.js';

/** The variables an app schema reads: the keys of the object under its transform. */
function variablesOf(schema: z.ZodType): string[] {
  let current: any = schema;
  while (current && !current.shape) current = current.def?.in ?? current.def?.innerType;
  return Object.keys(current?.shape ?? {});
}

describe('README configuration table', () => {
  it('documents every variable the apps and scripts read, and no other', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Tests'));
    const documented = new Set([...section.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1] ?? ''));
    const read = new Set(
      [authEnv, wsEdgeEnv, persisterEnv, notifierEnv, presenceEnv, webEnv, servicesEnv, dlqReplayEnv].flatMap(
        variablesOf,
      ),
    );
    read.add('FERRETDB_VERSION');
    expect(
      [...read].filter((name) => !documented.has(name)),
      'undocumented',
    ).to.deep.equal([]);
    expect(
      [...documented].filter((name) => !read.has(name)),
      'documented but unused',
    ).to.deep.equal([]);
  });
});
