/**
 * Lists every regular file under the given paths, recursively, without ever throwing for
 * bad input: missing paths, unreadable folders and symbolic-link loops become issues.
 * Symbolic links are followed (runs are often linked into place) but each real folder is
 * visited once, so a loop ends with a `file.symlink-loop` issue instead of recursion.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FileEntry } from './reader.js';
import type { IssueSink } from './issues.js';

export interface WalkResult {
  files: FileEntry[];
}

/** Folders that never hold runs and can be huge. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '__pycache__', '.ipynb_checkpoints']);

export function relativeTo(root: string, file: string): string {
  const rel = path.relative(root, file);
  return (rel === '' ? path.basename(file) : rel).split(path.sep).join('/');
}

export function errorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such file or folder';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EISDIR':
      return 'is a folder';
    default:
      return code ?? (error as Error).message;
  }
}

export async function walk(roots: string[], root: string, issue: IssueSink): Promise<WalkResult> {
  const files: FileEntry[] = [];
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();

  const addFile = (abs: string, size: number) => {
    if (seenFiles.has(abs)) return;
    seenFiles.add(abs);
    files.push({ path: abs, rel: relativeTo(root, abs), name: path.basename(abs), dir: path.dirname(abs), size });
  };

  const visitDir = async (dir: string): Promise<void> => {
    let real: string;
    try {
      real = await fs.realpath(dir);
    } catch (error) {
      issue('file.unreadable', relativeTo(root, dir), undefined, { reason: errorReason(error) });
      return;
    }
    if (seenDirs.has(real)) {
      issue('file.symlink-loop', relativeTo(root, dir), undefined, { target: relativeTo(root, real) });
      return;
    }
    seenDirs.add(real);
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      issue('file.unreadable', relativeTo(root, dir), undefined, { reason: errorReason(error) });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    // stat in bounded batches: a folder of 10,000 files must not open 10,000 handles at once.
    const BATCH = 256;
    for (let i = 0; i < entries.length; i += BATCH) {
      await Promise.all(
        entries.slice(i, i + BATCH).map(async (entry) => {
          const abs = path.join(dir, entry.name);
          if (entry.isDirectory()) {
            if (!SKIPPED_DIRS.has(entry.name)) subdirs.push(abs);
            return;
          }
          if (entry.isFile()) {
            try {
              const stat = await fs.stat(abs);
              addFile(abs, stat.size);
            } catch (error) {
              issue('file.unreadable', relativeTo(root, abs), undefined, { reason: errorReason(error) });
            }
            return;
          }
          if (entry.isSymbolicLink()) {
            try {
              const stat = await fs.stat(abs);
              if (stat.isDirectory()) subdirs.push(abs);
              else if (stat.isFile()) addFile(abs, stat.size);
            } catch (error) {
              const code = (error as NodeJS.ErrnoException).code;
              if (code === 'ELOOP') issue('file.symlink-loop', relativeTo(root, abs), undefined, { target: 'itself' });
              else issue('file.unreadable', relativeTo(root, abs), undefined, { reason: `broken link: ${errorReason(error)}` });
            }
          }
        }),
      );
    }
    subdirs.sort();
    for (const sub of subdirs) await visitDir(sub);
  };

  for (const start of roots) {
    const abs = path.resolve(start);
    let stat;
    try {
      stat = await fs.stat(abs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') issue('file.missing', relativeTo(root, abs));
      else if (code === 'ELOOP') issue('file.symlink-loop', relativeTo(root, abs), undefined, { target: 'itself' });
      else issue('file.unreadable', relativeTo(root, abs), undefined, { reason: errorReason(error) });
      continue;
    }
    if (stat.isDirectory()) await visitDir(abs);
    else addFile(abs, stat.size);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files };
}
