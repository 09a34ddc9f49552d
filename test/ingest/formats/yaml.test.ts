import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseYamlSafe } from '../../../src/ingest/formats/yaml.js';
import { corpusPath, HAS_CORPUS } from '../../support/corpus.js';

describe('parseYamlSafe', () => {
  it('reads plain YAML', () => {
    const r = parseYamlSafe('lr: 1.0e-3\nlayers: 2\nname: gru\nflag: true\nnothing: null\n');
    expect(r.value).toEqual({ lr: 0.001, layers: 2, name: 'gru', flag: true, nothing: null });
    expect(r.opaqueCount).toBe(0);
  });

  it('keeps Python object tags opaque and never constructs them', () => {
    const marker = `/tmp/ladder-yaml-pwned-${process.pid}`;
    const text = [
      'lr: 0.1',
      `evil: !!python/object/apply:os.system ["touch ${marker}"]`,
      'loss_fn: !!python/name:__main__.arcface_loss \'\'',
      'criterion: !!python/object:torch.nn.modules.loss.CrossEntropyLoss',
      '  reduction: mean',
      'shape: !!python/tuple [3, 4]',
    ].join('\n');
    const r = parseYamlSafe(text);
    const v = r.value as Record<string, unknown>;
    expect(v.lr).toBe(0.1);
    expect(v.evil).toEqual({ $opaque: '!!python/object/apply:os.system', source: `["touch ${marker}"]` });
    expect((v.criterion as { $opaque: string }).$opaque).toBe('!!python/object:torch.nn.modules.loss.CrossEntropyLoss');
    expect(v.shape).toEqual([3, 4]);
    expect(r.opaqueCount).toBe(3);
    expect(r.opaqueTags).toHaveLength(3);
    expect(existsSync(marker)).toBe(false);
  });

  it('reports invalid YAML with a line instead of throwing', () => {
    const r = parseYamlSafe('a: [1, 2\nb: 3\n');
    expect(r.error).toBeDefined();
    expect(r.value).toBeUndefined();
  });

  it.skipIf(!HAS_CORPUS)('reads the tensor-pickling hparams.yaml of the corpus as opaque values', () => {
    const file = corpusPath('real-logs/lightning-csv/Kleinschock__Gaze_Detection_Correction/lightning_logs/version_0/hparams.yaml');
    const r = parseYamlSafe(readFileSync(file, 'utf8'));
    const v = r.value as Record<string, unknown>;
    expect((v.class_weights as { $opaque: string }).$opaque).toBe('!!python/object/apply:torch._utils._rebuild_tensor_v2');
    expect(r.error).toBeUndefined();
  });
});
