/**
 * Safe YAML for files ML tools write (Lightning's hparams.yaml, MLflow's meta.yaml,
 * ladder.yaml). PyYAML's `yaml.dump` of arbitrary objects produces `!!python/object:…`,
 * `!!python/object/apply:…`, `!!python/name:…` and `!!python/tuple` nodes; loading them
 * with an unsafe loader would execute code. Here any node carrying a tag outside YAML's core
 * schema becomes an opaque value (its tag and source text), except `!!python/tuple`, which
 * is plain data and becomes a list. Nothing is ever constructed from a tag.
 */
import { isNode, parseDocument, visit, Scalar, YAMLSeq, type Node } from 'yaml';
import type { HValue, OpaqueValue } from '../../model/run.js';

export interface SafeYaml {
  value: HValue | undefined;
  /** Tags that were kept opaque (first occurrence of each, in order), and how many nodes. */
  opaqueTags: string[];
  opaqueCount: number;
  error?: { reason: string; line?: number };
}

const CORE_TAGS = new Set([
  'tag:yaml.org,2002:str',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq',
  'tag:yaml.org,2002:binary',
  'tag:yaml.org,2002:timestamp',
  'tag:yaml.org,2002:omap',
  'tag:yaml.org,2002:set',
]);
const TUPLE = 'tag:yaml.org,2002:python/tuple';

function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

export function parseYamlSafe(text: string): SafeYaml {
  const opaqueTags: string[] = [];
  let opaqueCount = 0;
  let doc;
  try {
    // Opaque and tuple nodes are rewritten below before any value is constructed; tags the
    // library does not know are reported as warnings we ignore, never as code.
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: false });
  } catch (error) {
    return { value: undefined, opaqueTags, opaqueCount, error: { reason: (error as Error).message } };
  }
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const line = first.linePos?.[0]?.line;
    const error: SafeYaml['error'] = { reason: first.message.split('\n')[0]! };
    if (line !== undefined) error.line = line;
    return { value: undefined, opaqueTags, opaqueCount, error };
  }
  visit(doc, {
    Node(_key, node) {
      const tag = (node as Node).tag;
      if (!tag || CORE_TAGS.has(tag)) return undefined;
      if (tag === TUPLE && node instanceof YAMLSeq) {
        node.tag = undefined;
        return undefined;
      }
      opaqueCount++;
      const short = shortTag(tag);
      if (!opaqueTags.includes(short)) opaqueTags.push(short);
      const range = (node as Node).range;
      const source = range ? text.slice(range[0], range[1]).trimEnd() : '';
      const opaque: OpaqueValue = { $opaque: short, source: source.length > 2000 ? `${source.slice(0, 2000)}…` : source };
      const replacement = new Scalar(opaque);
      return replacement;
    },
  });
  const value = isNode(doc.contents) || doc.contents === null ? (doc.toJS({ maxAliasCount: 10_000 }) as HValue) : undefined;
  return { value: value ?? null, opaqueTags, opaqueCount };
}
