/**
 * A YAML file a reader depends on (Lightning's hparams.yaml, MLflow's meta.yaml), read safely
 * with its problems reported the same way for every format: unreadable, invalid (with the
 * line), or holding Python tags (one warning per file, with the count and the first tag).
 */
import { promises as fs } from 'node:fs';
import { isOpaque, type HValue } from '../../model/run.js';
import type { FileEntry, ReadContext } from '../reader.js';
import { parseYamlSafe } from './yaml.js';
import { errorReason } from '../walk.js';

export type YamlFileResult = { ok: true; value: HValue } | { ok: false };

export async function readYamlFile(file: FileEntry, ctx: Pick<ReadContext, 'issue'>): Promise<YamlFileResult> {
  let text: string;
  try {
    text = await fs.readFile(file.path, 'utf8');
  } catch (error) {
    ctx.issue('file.unreadable', file.rel, undefined, { reason: errorReason(error) });
    return { ok: false };
  }
  const yaml = parseYamlSafe(text);
  if (yaml.error) {
    const location = yaml.error.line !== undefined ? `line ${yaml.error.line}` : undefined;
    ctx.issue('yaml.invalid', file.rel, location, { reason: yaml.error.reason });
    return { ok: false };
  }
  if (yaml.opaqueCount > 0) ctx.issue('yaml.python-tag', file.rel, undefined, { count: yaml.opaqueCount, tag: yaml.opaqueTags[0] });
  return { ok: true, value: yaml.value ?? null };
}

/** The value as a mapping when it is one (not a list, not an opaque Python object). */
export function asMapping(value: HValue): Record<string, HValue> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !isOpaque(value) ? value : undefined;
}
