import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONTRACTS_DIR, contractFiles } from './contracts/json-schemas.js';

/**
 * `npm run contracts`: writes the JSON Schemas generated from libs/contracts into docs/contracts,
 * replacing what is there (a frame type that no longer exists loses its file).
 * test/unit/contract-schemas.test.ts fails while the checked-in files differ from these.
 */
const dir = resolve(import.meta.dirname, '..', '..', CONTRACTS_DIR);
mkdirSync(dir, { recursive: true });
const files = contractFiles();
for (const name of readdirSync(dir)) {
  if (name.endsWith('.json') && !files.has(name)) rmSync(join(dir, name));
}
for (const [name, text] of files) writeFileSync(join(dir, name), text);
process.stdout.write(`wrote ${files.size} schemas to ${CONTRACTS_DIR}\n`);
