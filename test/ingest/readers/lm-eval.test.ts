/**
 * lm-evaluation-harness reader: every corpus file (metric and sample counts recomputed here
 * with plain JSON.parse and line counting), run grouping, samples, and damaged inputs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.js';
import { lmEvalReader } from '../../../src/ingest/readers/lm-eval.js';
import type { Run } from '../../../src/model/run.js';
import { corpusPath, HAS_CORPUS } from '../../support/corpus.js';
import { errorsOf, listFiles, scratch, writeTree } from '../../support/files.js';

const tmp = scratch('lm-eval');
const folder = (name: string, files: Record<string, string>) => writeTree(tmp, name, files);


const onlyLmEval = { readers: [lmEvalReader] };
const errors = errorsOf;


/** Points per series name over every results file of one folder, by the plainest rule. */
function expectedPoints(files: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const file of files) {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;
    const rows = { ...(doc.groups ?? {}), ...doc.results };
    for (const [task, metrics] of Object.entries(rows)) {
      for (const [key, value] of Object.entries(metrics)) {
        if (typeof value !== 'number') continue;
        const name = `${task}/${key.endsWith(',none') ? key.slice(0, -5) : key}`;
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
    }
  }
  return counts;
}

const v03 = (results: Record<string, Record<string, unknown>>, modelArgs = 'pretrained=org/m') =>
  JSON.stringify({ results, versions: {}, config: { model: 'hf-causal', model_args: modelArgs, num_fewshot: 0, batch_size: 8 } });
const v04 = (results: Record<string, Record<string, unknown>>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    results,
    'n-shot': Object.fromEntries(Object.keys(results).map((task) => [task, 5])),
    'n-samples': Object.fromEntries(Object.keys(results).map((task) => [task, { original: 10, effective: 4 }])),
    config: { model: 'hf', model_args: 'pretrained=org/m,dtype=float16', batch_size: 'auto', batch_sizes: [16], random_seed: 0 },
    versions: {},
    date: 1700000000.5,
    ...extra,
  });

describe.skipIf(!HAS_CORPUS)('lm-eval on the corpus', () => {
  const root = corpusPath('real-logs', 'lm-eval');
  const files = HAS_CORPUS ? listFiles(root) : [];
  const resultsFiles = files.filter((file) => file.endsWith('.json') && 'results' in JSON.parse(readFileSync(file, 'utf8')));
  const samplesFiles = files.filter((file) => /samples_.*\.jsonl$/.test(file));

  it('reads every results and samples file, with no error', async () => {
    expect(resultsFiles).toHaveLength(40);
    expect(samplesFiles).toHaveLength(8);
    const result = await ingest([root], onlyLmEval);
    expect(errors(result.issues)).toEqual([]);
    const read = new Set(result.runs.flatMap((run) => run.paths));
    for (const file of [...resultsFiles, ...samplesFiles]) expect(read.has(path.relative(root, file))).toBe(true);
    // Left for others: a README and a wrapper's timing summaries, which are not harness output.
    const unrecognized = result.issues.filter((i) => i.code === 'file.unrecognized').map((i) => i.data?.count);
    expect(unrecognized).toEqual([1, 2]);
  });

  it('has, per folder and per series, one point per results file holding that number', async () => {
    const result = await ingest([root], onlyLmEval);
    const folders = new Set(resultsFiles.map((file) => path.dirname(file)));
    for (const dir of folders) {
      const expected = expectedPoints(resultsFiles.filter((file) => path.dirname(file) === dir));
      const rel = path.relative(root, dir);
      const actual = new Map<string, number>();
      for (const run of result.runs.filter((r) => path.dirname(r.paths[0]!) === rel)) {
        for (const [name, series] of Object.entries(run.series)) actual.set(name, (actual.get(name) ?? 0) + series.steps.length);
      }
      expect(actual, rel).toEqual(expected);
    }
  });

  it('has one example per sample line', async () => {
    const result = await ingest([root], onlyLmEval);
    for (const run of result.runs) {
      const samples = run.paths.filter((p) => p.endsWith('.jsonl'));
      const lines = samples
        .map((p) => readFileSync(path.join(root, p), 'utf8').split('\n').filter((line) => line.trim() !== '').length)
        .reduce((a, b) => a + b, 0);
      expect(run.examples.reduce((sum, set) => sum + set.count, 0), run.id).toBe(lines);
    }
    const gsm8k = result.runs.find((run) => run.id.endsWith('results_2025-09-09T13-31-53.431753'))!;
    const set = gsm8k.examples[0]!;
    const firstLine = JSON.parse(readFileSync(samplesFiles.find((f) => f.includes('gsm8k_2025-09-09T13-31'))!, 'utf8').split('\n')[0]!);
    expect(set.name).toBe(`gsm8k,${firstLine.filter}`);
    expect(set.ids![0]).toBe(firstLine.doc_id);
    expect(set.preds![0]).toBe(firstLine.filtered_resps[0]);
    expect(set.correct![0]).toBe(firstLine.exact_match);
  });

  it('makes one run of the Pythia checkpoints, metric vs step', async () => {
    const dir = path.join(root, 'EleutherAI__pythia/evals/pythia-v1/pythia-160m/zero-shot');
    const result = await ingest([dir], onlyLmEval);
    expect(result.runs).toHaveLength(1);
    const run = result.runs[0]!;
    const steps = readdirSync(dir).map((name) => Number(/step(\d+)/.exec(name)![1])).sort((a, b) => a - b);
    expect(Array.from(run.series['winogrande/acc']!.steps)).toEqual(steps);
    expect(run.series['winogrande/acc_stderr']!.steps.length).toBe(steps.length);
    expect(run.roles.valMetrics).toContain('winogrande/acc');
    expect(run.roles.valMetrics).not.toContain('winogrande/acc_stderr');
    expect(run.hparams['model_args.pretrained']).toBe('EleutherAI/pythia-v1.1-160m');
    expect(run.hparams['model_args.revision']).toBeUndefined();
    expect(run.hparams.num_fewshot).toBe(0);
  });

  it('joins a suite split per task into one run and keeps repeated evaluations apart', async () => {
    const openllm = await ingest([path.join(root, 'saucam__model_evals/meta-llama/Meta-Llama-3-8B/openllm')], onlyLmEval);
    expect(openllm.runs).toHaveLength(1);
    expect(openllm.runs[0]!.paths).toHaveLength(6);
    expect(openllm.runs[0]!.series['gsm8k/exact_match,strict-match']).toBeDefined();
    const repeated = await ingest([path.join(root, 'csabakecskemeti__lm_eval_results/deepseek-ai__DeepSeek-R1-Distill-Llama-8B')], onlyLmEval);
    expect(repeated.runs).toHaveLength(2);
  });
});

describe('lm-eval layouts and grouping', () => {
  it('names v0.3 and v0.4 metrics alike, keeps filters other than none, and reads hparams and summary', async () => {
    const dir = folder('layouts', {
      'a/results.json': v03({ arc: { acc: 0.5, acc_stderr: 0.01, acc_norm: 0.6 } }),
      'b/results_2024-01-01T00-00-00.000001.json': v04({
        arc: { alias: 'arc', 'acc,none': 0.5, 'acc_stderr,none': 0.01 },
        gsm8k: { alias: 'gsm8k', 'exact_match,strict-match': 0.3, 'exact_match_stderr,strict-match': 'N/A' },
        group: { ' ': ' ', alias: 'group' },
      }),
    });
    const result = await ingest([dir], onlyLmEval);
    const [a, b] = result.runs as [Run, Run];
    expect(Object.keys(a.series).sort()).toEqual(['arc/acc', 'arc/acc_norm', 'arc/acc_stderr']);
    expect(Object.keys(b.series).sort()).toEqual(['arc/acc', 'arc/acc_stderr', 'gsm8k/exact_match,strict-match']);
    expect(b.roles.valMetrics.sort()).toEqual(['arc/acc', 'gsm8k/exact_match,strict-match']);
    expect(b.series['arc/acc']!.wallTimes[0]).toBe(1700000000.5);
    expect(b.hparams).toMatchObject({ model: 'hf', 'model_args.dtype': 'float16', batch_size: 'auto', random_seed: 0, num_fewshot: 5 });
    expect(b.hparams.batch_sizes).toBeUndefined();
    expect(b.summary['n-samples']).toMatchObject({ arc: { original: 10, effective: 4 }, gsm8k: { original: 10, effective: 4 } });
    expect(result.issues).toEqual([]);
  });

  it('reads group rows that only v0.4.0–0.4.1 kept apart, under "groups"', async () => {
    const text = v04({ mmlu_anatomy: { 'acc,none': 0.4 } }, { groups: { mmlu: { 'acc,none': 0.45, 'acc_stderr,none': 0.01 } } });
    const result = await ingest([folder('groups', { 'results.json': text })], onlyLmEval);
    expect(Object.keys(result.runs[0]!.series).sort()).toEqual(['mmlu/acc', 'mmlu/acc_stderr', 'mmlu_anatomy/acc']);
  });

  it('groups step files of one model into one run and separates models', async () => {
    const dir = folder('steps', {
      'm_step100.json': v03({ arc: { acc: 0.3 } }, 'pretrained=org/m,revision=step100'),
      'm_step20.json': v03({ arc: { acc: 0.2 } }, 'pretrained=org/m,revision=step20,use_accelerate=True'),
      'other.json': v03({ arc: { acc: 0.9 } }, 'pretrained=org/other'),
    });
    const result = await ingest([dir], onlyLmEval);
    expect(result.runs).toHaveLength(2);
    const stepped = result.runs.find((run) => run.paths.length === 2)!;
    expect(Array.from(stepped.series['arc/acc']!.steps)).toEqual([20, 100]);
    expect(Array.from(stepped.series['arc/acc']!.values)).toEqual([0.2, 0.3]);
    expect(new Set(result.runs.map((run) => run.id)).size).toBe(2);
  });

  it('attaches samples to the results with the same timestamp, with probabilities for multiple choice', async () => {
    const t1 = '2024-01-01T00-00-00.000001';
    const t2 = '2024-01-02T00-00-00.000002';
    const mc = (id: number, lls: number[], target: number) =>
      JSON.stringify({
        doc_id: id,
        target,
        filtered_resps: lls.map((ll) => [String(ll), 'False']),
        filter: 'none',
        metrics: ['acc', 'acc_norm'],
        acc: lls.indexOf(Math.max(...lls)) === target ? 1.0 : 0.0,
        acc_norm: 1.0,
      });
    const dir = folder('samples', {
      [`results_${t1}.json`]: v04({ arc: { 'acc,none': 0.5 } }),
      [`results_${t2}.json`]: v04({ arc: { 'acc,none': 0.7 } }),
      [`samples_arc_${t1}.jsonl`]: [mc(0, [-1, -2, -3], 0), mc(1, [-3, -1, -2], 0), 'not json', mc(2, [-2, -2.5, -0.5], 2), ''].join('\n'),
      [`samples_arc_${t2}.jsonl`]: mc(0, [-1, -2, -3], 0) + '\n',
    });
    const result = await ingest([dir], onlyLmEval);
    expect(result.runs).toHaveLength(2);
    const run = result.runs.find((r) => r.paths[0]!.includes(t1))!;
    const set = run.examples[0]!;
    expect(set).toMatchObject({ name: 'arc', count: 3, ids: [0, 1, 2], labels: [0, 0, 2], preds: [0, 1, 2] });
    expect(Array.from(set.correct!)).toEqual([1, 0, 1]);
    expect(Array.from(set.metrics!.acc_norm!)).toEqual([1, 1, 1]);
    expect(set.probs!.classes).toBe(3);
    const row0 = Array.from(set.probs!.data.slice(0, 3));
    expect(row0.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(row0[0]! / row0[1]!).toBeCloseTo(Math.E, 10);
    expect(result.issues.map((i) => [i.code, i.location, i.data?.count])).toEqual([['jsonl.bad-line', 'line 3', 1]]);
    expect(result.runs.find((r) => r.paths[0]!.includes(t2))!.examples[0]!.count).toBe(1);
  });

  it('keeps samples whose results file is missing as a run of their own', async () => {
    const line = JSON.stringify({ doc_id: 7, target: 'yes', filtered_resps: ['no'], filter: 'none', exact_match: 0 });
    const dir = folder('orphan', { 'samples_boolq_2024-01-01T00-00-00.1.jsonl': line + '\n' });
    const result = await ingest([dir], onlyLmEval);
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0]!.examples[0]).toMatchObject({ name: 'boolq', ids: [7], labels: ['yes'], preds: ['no'] });
    expect(Array.from(result.runs[0]!.examples[0]!.correct!)).toEqual([0]);
  });
});

describe('lm-eval bad input', () => {
  it('reads a truncated results file up to the cut', async () => {
    const full = v04({ arc: { 'acc,none': 0.5 }, piqa: { 'acc,none': 0.6 }, boolq: { 'acc,none': 0.7 } });
    const cut = full.indexOf('"boolq"') + 3;
    const result = await ingest([folder('truncated', { 'results.json': full.slice(0, cut) })], onlyLmEval);
    expect(Object.keys(result.runs[0]!.series).sort()).toEqual(['arc/acc', 'piqa/acc']);
    expect(result.issues.map((i) => [i.code, i.data?.offset, i.data?.kept])).toEqual([['json.truncated', cut, 2]]);
  });

  it('reports a results object without versions or config, non-numeric metrics and NaN', async () => {
    const text = '{"results": {"arc": {"acc": NaN, "acc_norm": "high", "f1": 0.5}}}';
    const result = await ingest([folder('odd', { 'r.json': text })], onlyLmEval);
    const run = result.runs[0]!;
    expect(run.series['arc/acc']!.values[0]).toBeNaN();
    expect(run.series['arc/acc_norm']).toBeUndefined();
    expect(result.issues.map((i) => i.code).sort()).toEqual([
      'json.non-standard-number',
      'lm-eval.unknown-layout',
      'series.non-finite',
      'series.non-numeric',
    ]);
    expect(result.issues.find((i) => i.code === 'series.non-numeric')!.data).toMatchObject({ series: 'arc/acc_norm', count: 1 });
  });

  it('leaves JSON that only mentions results alone', async () => {
    const result = await ingest([folder('not-results', { 'x.json': '{"results": [1, 2, 3]}', 'y.json': '{"a": {"results": {}}}' })], onlyLmEval);
    expect(result.runs).toEqual([]);
  });

  it('reports an empty samples file next to its results', async () => {
    const t = '2024-01-01T00-00-00.000001';
    const dir = folder('empty-samples', { [`results_${t}.json`]: v04({ arc: { 'acc,none': 0.5 } }), [`samples_arc_${t}.jsonl`]: '' });
    const result = await ingest([dir], onlyLmEval);
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0]!.paths).toHaveLength(2);
    expect(result.issues.map((i) => i.code)).toEqual(['file.empty']);
  });
});
