/**
 * MLflow file-store reader: the 7 real run folders of the corpus (metric lines and param
 * files counted here with plain fs calls) and file stores laid out by hand for what the
 * corpus lacks (damaged lines, missing meta.yaml, deleted runs, nested keys). The `mlflow`
 * package is not on this machine's wheel mirror, so no fixture comes from its own writer;
 * the hand-made layouts follow MLflow's FileStore (mlflow/store/tracking/file_store.py).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.js';
import { mlflowReader } from '../../../src/ingest/readers/mlflow.js';
import { corpusPath, HAS_CORPUS } from '../../support/corpus.js';
import { codesOf, errorsOf, listFiles, scratch, writeTree } from '../../support/files.js';

const tmp = scratch('mlflow');
const folder = (name: string, files: Record<string, string>) => writeTree(tmp, name, files);


const onlyMlflow = { readers: [mlflowReader] };
const errors = errorsOf;
const codes = codesOf;
const points = (series: { steps: Float64Array; values: Float64Array }) =>
  Array.from(series.steps, (step, i) => [step, series.values[i]!]);


const RUN_A = 'a'.repeat(32);
const RUN_B = 'b'.repeat(32);
const RUN_C = 'c'.repeat(32);

function experimentMeta(id: string, name: string, stage = 'active'): string {
  return `artifact_location: file:///tmp/mlruns/${id}\nexperiment_id: '${id}'\nlifecycle_stage: ${stage}\nname: ${name}\n`;
}

function runMeta(id: string, experiment: string, extra: Record<string, string | number> = {}): string {
  const fields: Record<string, string | number> = {
    artifact_uri: `file:///tmp/mlruns/${experiment}/${id}/artifacts`,
    end_time: 1700000100000,
    experiment_id: `'${experiment}'`,
    lifecycle_stage: 'active',
    run_id: id,
    run_name: 'run-name-from-meta',
    run_uuid: id,
    start_time: 1700000000000,
    status: 3,
    ...extra,
  };
  return Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n') + '\ntags: []\nuser_id: me\n';
}

describe.skipIf(!HAS_CORPUS)('mlflow on the corpus', () => {
  const root = corpusPath('real-logs', 'mlflow');
  const allFiles = HAS_CORPUS ? listFiles(root) : [];
  // Run folders, independently: the folders directly above a metrics/, params/ or tags/ folder
  // that are not experiment folders (those have a meta.yaml without run_id).
  const runDirs = [
    ...new Set(
      allFiles
        .map((file) => /^(.*)\/(metrics|params|tags)\//.exec(file)?.[1])
        .filter((dir): dir is string => dir !== undefined)
        .filter((dir) => readFileSync(path.join(dir, 'meta.yaml'), 'utf8').includes('run_id:')),
    ),
  ].sort();

  it('reads all 7 run folders, one run each, with no error', async () => {
    expect(runDirs).toHaveLength(7);
    const result = await ingest([root], onlyMlflow);
    expect(result.runs.map((run) => run.paths[0]).sort()).toEqual(runDirs.map((dir) => path.relative(root, dir)));
    expect(result.runs.every((run) => run.format === 'mlflow')).toBe(true);
    expect(errors(result.issues)).toEqual([]);
    // Every file of the corpus is MLflow bookkeeping and claimed.
    expect(codes(result.issues)).not.toContain('file.unrecognized');
  });

  it('has, per metric file, as many points as non-empty lines; one hparam per params file; every tag', async () => {
    const result = await ingest([root], onlyMlflow);
    for (const dir of runDirs) {
      const run = result.runs.find((r) => r.paths[0] === path.relative(root, dir))!;
      const under = (kind: string) => allFiles.filter((file) => file.startsWith(path.join(dir, kind) + '/'));
      const metricFiles = under('metrics');
      expect(Object.keys(run.series).sort(), dir).toEqual(metricFiles.map((f) => path.relative(path.join(dir, 'metrics'), f)).sort());
      for (const file of metricFiles) {
        const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
        const key = path.relative(path.join(dir, 'metrics'), file);
        expect(run.series[key]!.steps.length, file).toBe(lines.length);
        const [timestamp, value, step] = lines[0]!.split(' ');
        expect(run.series[key]!.wallTimes[0], file).toBe(Number(timestamp) / 1000);
        expect(run.series[key]!.steps[0], file).toBe(Number(step));
        expect(run.series[key]!.values[0], file).toBe(Number(value));
      }
      expect(Object.keys(run.hparams).length, dir).toBe(under('params').length);
      for (const file of under('tags')) {
        expect(run.tags[path.relative(path.join(dir, 'tags'), file)], file).toBe(readFileSync(file, 'utf8'));
      }
    }
  });

  it('reads nested metric keys, parses numeric params, names experiments, and links a child to its parent', async () => {
    const result = await ingest([root], onlyMlflow);
    const byEnd = (id: string) => result.runs.find((run) => run.id.endsWith(id))!;
    const segformer = byEnd('f67368c47c034f66a565105fb0eb7697');
    expect(Object.keys(segformer.series)).toEqual(expect.arrayContaining(['train/loss', 'train/decode.loss_seg']));
    expect(segformer.tags['mlflow.experimentName']).toBe('SegformerB3FisheyeGenerate');
    const hydro = byEnd('0870010165b04890b213c30d49679006');
    expect(hydro.hparams.batch_size).toBe(256);
    expect(hydro.hparams.arch).toBe('LSTM');
    expect(hydro.tags['mlflow.runName']).toBe('train_model_05039_00003');
    expect(hydro.summary.status).toBe('FINISHED');
    expect(hydro.summary.start_time).toBe(1679858492377);
    // BozzoloLu__GAN: 2d73… is a child of eea9… (present); 07cd…'s parent f6c9… is not in the corpus.
    const parent = byEnd('eea9a4163c0248aebcfddb75ea44c530');
    expect(byEnd('2d731c66ae6a41dfa54693a3481c357f').parent).toBe(parent.id);
    const orphan = byEnd('07cd61a82ecc46bb9b61d1142c15ea42');
    expect(orphan.parent).toBeUndefined();
    expect(orphan.tags['mlflow.parentRunId']).toBe('f6c98980d5554f8cb202cfdb0c1e7370');
  });
});

describe('mlflow on hand-laid file stores', () => {
  it('reads keys with slashes and spaces, keeps NaN/Infinity values, and skips bad lines with a count', async () => {
    const store = folder('keys/mlruns', {
      '1/meta.yaml': experimentMeta('1', 'keys'),
      [`1/${RUN_A}/meta.yaml`]: runMeta(RUN_A, '1'),
      [`1/${RUN_A}/metrics/train/loss`]: '1700000000000 0.5 0\n1700000001000 NaN 1\n1700000002000 Infinity 2\n1700000003000 -Infinity 3\n1700000004000 nan 4\n',
      [`1/${RUN_A}/metrics/val acc top 1`]: '1700000000000 0.25 0\ngarbage\n\n1700000001000 0.5 1\n1700000002000 oops 2\n1700000003000 0.75 3\n',
      [`1/${RUN_A}/params/optimizer/name`]: 'adam',
      [`1/${RUN_A}/tags/mlflow.runName`]: 'tagged name',
    });
    const result = await ingest([store], onlyMlflow);
    const run = result.runs[0]!;
    expect(Array.from(run.series['train/loss']!.values)).toEqual([0.5, NaN, Infinity, -Infinity, NaN]);
    expect(Array.from(run.series['train/loss']!.wallTimes)).toEqual([1700000000, 1700000001, 1700000002, 1700000003, 1700000004]);
    expect(points(run.series['val acc top 1']!)).toEqual([[0, 0.25], [1, 0.5], [3, 0.75]]);
    const bad = result.issues.filter((issue) => issue.code === 'mlflow.bad-line');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ location: 'line 2', data: { count: 2, line: 2 } });
    expect(bad[0]!.file).toBe(`1/${RUN_A}/metrics/val acc top 1`);
    expect(run.hparams['optimizer/name']).toBe('adam');
    // The tag file wins over meta.yaml's run_name.
    expect(run.tags['mlflow.runName']).toBe('tagged name');
    expect(run.tags['mlflow.experimentName']).toBe('keys');
    expect(result.issues.find((issue) => issue.code === 'series.non-finite')?.data).toMatchObject({ series: 'train/loss', count: 4 });
  });

  it('parses params that are plain numbers and keeps every other string exactly', async () => {
    const store = folder('params/mlruns', {
      '0/meta.yaml': experimentMeta('0', 'Default'),
      [`0/${RUN_A}/meta.yaml`]: runMeta(RUN_A, '0'),
      [`0/${RUN_A}/params/lr`]: '0.001',
      [`0/${RUN_A}/params/wd`]: '1e-4',
      [`0/${RUN_A}/params/epochs`]: '10',
      [`0/${RUN_A}/params/seed_id`]: '007',
      [`0/${RUN_A}/params/mask`]: '0x1f',
      [`0/${RUN_A}/params/fp16`]: 'True',
      [`0/${RUN_A}/params/clip`]: 'inf',
      [`0/${RUN_A}/params/layers`]: '[64, 64]',
      [`0/${RUN_A}/params/note`]: 'two\nlines ',
    });
    const run = (await ingest([store], onlyMlflow)).runs[0]!;
    expect(run.hparams).toEqual({
      clip: Infinity,
      epochs: 10,
      fp16: 'True',
      layers: '[64, 64]',
      lr: 0.001,
      mask: '0x1f',
      note: 'two\nlines ',
      seed_id: '007',
      wd: 0.0001,
    });
  });

  it('reads a run folder without meta.yaml, with a warning, in a store not named mlruns', async () => {
    const store = folder('no-meta/tracking', {
      '3/meta.yaml': experimentMeta('3', 'ablation'),
      '3/run-without-meta/metrics/loss': '1700000000000 1.0 0\n1700000001000 0.5 1\n',
      '3/run-without-meta/params/lr': '0.1',
    });
    const result = await ingest([store], onlyMlflow);
    expect(result.runs).toHaveLength(1);
    const run = result.runs[0]!;
    expect(run.paths).toEqual(['3/run-without-meta', '3/meta.yaml']);
    expect(run.tags['mlflow.runId']).toBe('run-without-meta');
    expect(run.tags['mlflow.experimentName']).toBe('ablation');
    expect(run.hparams.lr).toBe(0.1);
    expect(result.issues.map((issue) => [issue.code, issue.file])).toEqual([['mlflow.no-meta', '3/run-without-meta']]);
  });

  it('numbers metric lines without a step (MLflow before 1.0) by position', async () => {
    const store = folder('old/mlruns', {
      [`0/${RUN_A}/meta.yaml`]: runMeta(RUN_A, '0'),
      [`0/${RUN_A}/metrics/loss`]: '1500000000000 3.0\n1500000001000 2.0\n1500000002000 1.0\n',
    });
    const result = await ingest([store], onlyMlflow);
    expect(points(result.runs[0]!.series.loss!)).toEqual([[0, 3], [1, 2], [2, 1]]);
    expect(result.issues.find((issue) => issue.code === 'series.missing-step')?.data).toMatchObject({ series: 'loss', count: 3 });
  });

  it('treats a last line cut before its step as a bad line, not as a step-less point', async () => {
    const store = folder('cut/mlruns', {
      [`0/${RUN_A}/meta.yaml`]: runMeta(RUN_A, '0'),
      [`0/${RUN_A}/metrics/loss`]: '1700000000000 1.0 0\n1700000001000 0.5 1\n1700000002000 0.2',
    });
    const result = await ingest([store], onlyMlflow);
    expect(points(result.runs[0]!.series.loss!)).toEqual([[0, 1], [1, 0.5]]);
    expect(result.issues.find((issue) => issue.code === 'mlflow.bad-line')?.data).toMatchObject({ count: 1, line: 3 });
    expect(codes(result.issues)).not.toContain('series.missing-step');
  });

  it('links nested runs to their parent, keeps an absent parent as the raw tag, and reads deleted runs tagged', async () => {
    const store = folder('nested/mlruns', {
      '5/meta.yaml': experimentMeta('5', 'sweep'),
      '5/tags/mlflow.note.content': 'grid over lr',
      [`5/${RUN_A}/meta.yaml`]: runMeta(RUN_A, '5', { status: 4 }),
      [`5/${RUN_A}/tags/mlflow.runName`]: 'parent',
      [`5/${RUN_B}/meta.yaml`]: runMeta(RUN_B, '5', { lifecycle_stage: 'deleted' }),
      [`5/${RUN_B}/tags/mlflow.parentRunId`]: RUN_A,
      [`5/${RUN_B}/metrics/loss`]: '1700000000000 1.0 0\n',
      [`5/${RUN_C}/meta.yaml`]: runMeta(RUN_C, '5'),
      [`5/${RUN_C}/tags/mlflow.parentRunId`]: 'f'.repeat(32),
      [`.trash/9/meta.yaml`]: experimentMeta('9', 'thrown away', 'deleted'),
      [`.trash/9/${RUN_A}/meta.yaml`]: runMeta(RUN_A, '9'),
      [`.trash/9/${RUN_A}/metrics/loss`]: '1700000000000 2.0 0\n',
      // An experiment without runs holds no run: reported like any file nobody read.
      '7/meta.yaml': experimentMeta('7', 'empty'),
      // MLflow's model registry: a meta.yaml with run_id that is not a run.
      'models/m/version-1/meta.yaml': `name: m\nrun_id: ${RUN_A}\nversion: 1\n`,
    });
    const result = await ingest([store], onlyMlflow);
    const byPath = new Map(result.runs.map((run) => [run.paths[0]!, run]));
    expect([...byPath.keys()].sort()).toEqual([`.trash/9/${RUN_A}`, `5/${RUN_A}`, `5/${RUN_B}`, `5/${RUN_C}`]);
    const parent = byPath.get(`5/${RUN_A}`)!;
    expect(parent.summary.status).toBe('FAILED');
    expect(parent.tags['mlflow.runName']).toBe('parent');
    expect(parent.tags['experiment.mlflow.note.content']).toBe('grid over lr');
    expect(byPath.get(`5/${RUN_B}`)!.parent).toBe(parent.id);
    expect(byPath.get(`5/${RUN_B}`)!.tags['mlflow.lifecycleStage']).toBe('deleted');
    expect(byPath.get(`5/${RUN_C}`)!.parent).toBeUndefined();
    expect(byPath.get(`5/${RUN_C}`)!.tags['mlflow.parentRunId']).toBe('f'.repeat(32));
    // The same run id in a deleted experiment is another run and is not anyone's parent here.
    const trashed = byPath.get(`.trash/9/${RUN_A}`)!;
    expect(trashed.tags['mlflow.lifecycleStage']).toBe('deleted');
    expect(trashed.tags['mlflow.experimentName']).toBe('thrown away');
    expect(parent.paths).toEqual([`5/${RUN_A}`, '5/meta.yaml', '5/tags']);
    const unrecognized = result.issues.filter((issue) => issue.code === 'file.unrecognized').map((issue) => issue.file);
    expect(unrecognized.sort()).toEqual(['7', 'models/m/version-1']);
    expect(errors(result.issues)).toEqual([]);
  });

  it('reads a single run folder given as the ingest path', async () => {
    const store = folder('single/mlruns', {
      '0/meta.yaml': experimentMeta('0', 'Default'),
      [`0/${RUN_A}/meta.yaml`]: runMeta(RUN_A, '0'),
      [`0/${RUN_A}/metrics/acc`]: '1700000000000 0.5 10\n',
    });
    const result = await ingest([path.join(store, '0', RUN_A)], onlyMlflow);
    expect(result.runs).toHaveLength(1);
    expect(points(result.runs[0]!.series.acc!)).toEqual([[10, 0.5]]);
    expect(result.issues).toEqual([]);
  });

  it('leaves folders merely named metrics/ and params/ to the other readers', async () => {
    const project = folder('not-mlflow/project', {
      'results/metrics/acc.json': '{"acc": 0.5}',
      'results/params/config.yaml': 'lr: 0.1\n',
      'results/tags/notes.txt': 'hello world',
    });
    const claims = await mlflowReader.claim({
      files: () =>
        listFiles(project).map((file) => ({
          path: file,
          rel: path.relative(project, file),
          name: path.basename(file),
          dir: path.dirname(file),
          size: statSync(file).size,
        })),
      inDir: () => [],
      head: async (file) => readFileSync(file.path),
    });
    expect(claims).toEqual([]);
    expect(existsSync(path.join(project, 'results/metrics/acc.json'))).toBe(true);
  });
});
