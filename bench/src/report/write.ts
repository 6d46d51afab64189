import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartOf } from './chart.js';
import { markdownOf } from './markdown.js';
import type { BenchResults } from './results.js';

const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

/** Writes bench/results/<time>-<mode>.json and .md; with `writeDocs`, the generated part of docs/benchmarks.md and its chart (bench/results/latency.svg) instead of the .md. */
export async function writeReport(results: BenchResults, repoRoot: string, writeDocs: boolean): Promise<string[]> {
  const written: string[] = [];
  const resultsDir = join(repoRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonPath = join(resultsDir, `${results.startedAt.replace(/[:.]/g, '-')}-${results.mode}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  written.push(jsonPath);
  const summary = markdownOf(results);
  if (!writeDocs) {
    const mdPath = jsonPath.replace(/\.json$/, '.md');
    writeFileSync(mdPath, summary);
    written.push(mdPath);
    return written;
  }
  // Kept under bench/ with the raw figures it is drawn from; docs/benchmarks.md links to it.
  const svgPath = join(resultsDir, 'latency.svg');
  writeFileSync(svgPath, await chartOf(results));
  written.push(svgPath);
  const docPath = join(repoRoot, 'docs', 'benchmarks.md');
  let doc: string;
  try {
    doc = readFileSync(docPath, 'utf8');
  } catch {
    doc = `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  }
  // Only the part between the markers is generated; the text around it is written by hand.
  const before = doc.slice(0, doc.indexOf(BEGIN) + BEGIN.length);
  const after = doc.slice(doc.indexOf(END));
  writeFileSync(docPath, `${before}\n${summary}\n${after}`);
  written.push(docPath);
  return written;
}
