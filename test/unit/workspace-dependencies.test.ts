import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../support/app-process.js';

/**
 * Every workspace declares what its source imports. npm hoists packages to the root
 * node_modules, so an undeclared import still resolves here and breaks only where the
 * workspace is installed alone (a Docker stage, a deploy that installs one app).
 */

interface Workspace {
  dir: string;
  manifest: {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
}

const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs)$/;
/** Where a workspace keeps its sources: `src`, and `page` for the web chat's browser code. */
const SOURCE_DIRS = ['src', 'page'];
/** Static `import … from 'x'`, `export … from 'x'`, bare `import 'x'` and dynamic `import('x')`. */
const IMPORT_SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function workspaces(): Workspace[] {
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return root.workspaces.flatMap((pattern) => {
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(REPO_ROOT, pattern.slice(0, -2))).map((name) => join(REPO_ROOT, pattern.slice(0, -2), name))
      : [join(REPO_ROOT, pattern)];
    return dirs
      .filter((dir) => statSync(join(dir, 'package.json'), { throwIfNoEntry: false })?.isFile())
      .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }));
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return SOURCE_FILE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Strips comments so an example in a doc comment is not taken for an import. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function importedSpecifiers(source: string): string[] {
  const code = withoutComments(source);
  return IMPORT_SPECIFIERS.flatMap((pattern) => [...code.matchAll(pattern)].map((match) => match[1] ?? ''));
}

/** 'a/b' → 'a', '@scope/a/b' → '@scope/a'; undefined for relative paths and builtins. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0] ?? '')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

describe('workspace dependencies', () => {
  it('finds the packages a source file imports', () => {
    const source = [
      "import { a } from 'amqplib';",
      "import type { B } from '@chat/contracts';",
      "export { c } from './local.js';",
      "import 'reflect-metadata';",
      "const d = await import('pino/file');",
      "import { e } from 'node:fs';",
      "// import { f } from 'not-imported';",
    ].join('\n');
    expect(
      importedSpecifiers(source)
        .map(packageOf)
        .filter((name) => name !== undefined),
    ).to.have.members(['amqplib', '@chat/contracts', 'reflect-metadata', 'pino']);
  });

  it('every workspace declares each package its src imports', () => {
    const found = workspaces();
    expect(found.length, 'workspaces found').to.be.greaterThan(10);
    const undeclared: string[] = [];
    for (const { dir, manifest } of found) {
      const declared = new Set([
        manifest.name,
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.devDependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
      ]);
      const files = SOURCE_DIRS.flatMap((sub) =>
        statSync(join(dir, sub), { throwIfNoEntry: false })?.isDirectory() ? sourceFiles(join(dir, sub)) : [],
      );
      for (const file of files) {
        for (const specifier of importedSpecifiers(readFileSync(file, 'utf8'))) {
          const name = packageOf(specifier);
          if (name !== undefined && !declared.has(name)) undeclared.push(`${relative(REPO_ROOT, file)}: ${name}`);
        }
      }
    }
    expect([...new Set(undeclared)]).to.deep.equal([]);
  });
});
