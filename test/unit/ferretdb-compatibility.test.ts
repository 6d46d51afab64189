import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../support/app-process.js';

/**
 * The code must be correct on MongoDB 7 and FerretDB 1.24 alike, so it uses none of what
 * FerretDB lacks. This reads every source file of the apps and libraries for those APIs.
 */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bstartSession\b|\bwithTransaction\b/, 'transactions'],
  [/\.watch\(/, 'change streams'],
  [/\$inc\b/, '$inc (lost under concurrency on FerretDB)'],
  [/\bfindOneAndUpdate\b|\bfindOneAndReplace\b/, 'atomic findOneAnd*'],
  [/expireAfterSeconds/, 'TTL indexes'],
  [/partialFilterExpression/, 'partial indexes'],
  [/\$lookup\b/, '$lookup'],
  [/\$(?:push|addToSet|pull)\b/, 'array updates on shared documents'],
  [/createIndexes\(/, 'multi-index createIndexes (crashes FerretDB 1.24 when they exist)'],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('FerretDB compatibility', () => {
  it('uses no MongoDB feature FerretDB 1.24 lacks or gets wrong', () => {
    const files = [...sources(join(REPO_ROOT, 'apps')), ...sources(join(REPO_ROOT, 'libs'))];
    expect(files.length).to.be.greaterThan(40);
    const findings: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [pattern, what] of FORBIDDEN) if (pattern.test(text)) findings.push(`${file}: ${what}`);
    }
    expect(findings).to.deep.equal([]);
  });

  it("gives every multi-document read the dialect's cursor options (an open FerretDB cursor holds a PostgreSQL connection)", () => {
    // The dialect's modules are where those options are decided, per server: the dialect itself,
    // MongoDB's range queries and FerretDB's block reads, which size their own batches.
    const dialectModules = ['server-dialect.ts', 'log-range.ts', 'ferretdb-log-blocks.ts'];
    const files = sources(join(REPO_ROOT, 'libs', 'storage', 'src')).filter(
      (f) => !dialectModules.some((module) => f.endsWith(module)),
    );
    const unbatched: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\.find\(([^;]*);/gs)) {
        const statement = match[1] ?? '';
        if (!/readOptions\(|\.limit\(1\)/.test(statement)) unbatched.push(`${file}: .find(${statement.slice(0, 60)}`);
      }
    }
    expect(unbatched).to.deep.equal([]);
  });
});
