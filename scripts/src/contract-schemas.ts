import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { contractDocuments } from '@chat/contracts';

/** Where the generated contracts are checked in, relative to the repository root. */
export const CONTRACTS_DIR = 'docs/contracts';

/**
 * `npm run contracts`: writes the JSON Schemas and OpenAPI documents generated from
 * libs/contracts into docs/contracts, replacing what is there (a frame type that no longer exists
 * loses its file). test/unit/contract-schemas.test.ts fails while the checked-in files differ.
 */
function main(): void {
  const dir = resolve(import.meta.dirname, '..', '..', CONTRACTS_DIR);
  mkdirSync(dir, { recursive: true });
  const files = contractDocuments();
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.json') && !files.has(name)) rmSync(join(dir, name));
  }
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  process.stdout.write(`wrote ${files.size} documents to ${CONTRACTS_DIR}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) main();
