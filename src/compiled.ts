/**
 * Programs ladder starts in another process or thread (the Slurm task runner, the lab's
 * trial worker) must be JavaScript. When ladder runs compiled they sit next to the module
 * that starts them; when it runs from its TypeScript sources (tests under Vitest) the
 * compiled copy is in dist/ at the same place, which `npm run build` writes.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or package) root: this file is src/compiled.ts, or dist/src/compiled.js. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The compiled `relative` (e.g. `slurm/task.js`) beside the module at `moduleUrl`. */
export function compiledSibling(moduleUrl: string, relative: string): string {
  const here = fileURLToPath(moduleUrl);
  const target = path.join(path.dirname(here), relative);
  if (here.endsWith('.js')) return target;
  return path.join(ROOT, 'dist', path.relative(ROOT, target));
}
