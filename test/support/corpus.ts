/**
 * The shared corpus of real logs (../shared/corpus, beside the repository). Tests that use
 * it skip with a clear message when it is absent (a fresh clone outside this setup).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CORPUS = process.env.LADDER_CORPUS ?? path.resolve(REPO, '../shared/corpus');
export const HAS_CORPUS = existsSync(path.join(CORPUS, 'real-logs'));
export const CORPUS_SKIP_REASON = `corpus not found at ${CORPUS} (set LADDER_CORPUS); corpus tests skipped`;
if (!HAS_CORPUS) console.warn(CORPUS_SKIP_REASON);

export function corpusPath(...parts: string[]): string {
  return path.join(CORPUS, ...parts);
}
