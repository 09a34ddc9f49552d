/** Scratch folders and small file trees for tests, removed after the test file. */
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/** A fresh temporary folder, deleted when the test file ends. */
export function scratch(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ladder-${prefix}-`));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (relative path → content) under `root/name` and returns that folder. */
export function writeTree(root: string, name: string, files: Record<string, string | Buffer>): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

/** Every file under `dir`, recursively (absolute paths). */
export function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full) : [full];
  });
}

export const errorsOf = <T extends { severity: string }>(issues: T[]) => issues.filter((issue) => issue.severity === 'error');
export const codesOf = (issues: { code: string }[]) => issues.map((issue) => issue.code);
