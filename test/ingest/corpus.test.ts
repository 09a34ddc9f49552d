/**
 * The whole corpus of real logs in one ingest: every file is accounted for (part of a run,
 * or knowingly skipped), no error-severity issue is raised on these valid files, and each
 * format yields the runs it should. Per-series point counts are checked per format in
 * test/ingest/readers/*.test.ts against independent counts.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/ingest.js';
import { corpusPath, HAS_CORPUS } from '../support/corpus.js';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const abs = path.join(dir, entry);
    if (statSync(abs).isDirectory()) out.push(...listFiles(abs));
    else out.push(abs);
  }
  return out;
}

describe.skipIf(!HAS_CORPUS)('the corpus of real logs', () => {
  const root = corpusPath('real-logs');

  it('is read completely, without error issues', { timeout: 120_000 }, async () => {
    const result = await ingest([root]);
    const errors = result.issues.filter((i) => i.severity === 'error');
    expect(errors, JSON.stringify(errors, null, 1)).toEqual([]);

    const byFormat = (format: string) => result.runs.filter((r) => r.format === format);
    const files = listFiles(root).map((f) => path.relative(root, f).split(path.sep).join('/'));
    const inRuns = new Set(result.runs.flatMap((r) => r.paths));
    const covered = (rel: string) => inRuns.has(rel) || [...inRuns].some((p) => rel.startsWith(p + '/'));

    // 31 trainer_state files, each a run (no final state sits beside any of these checkpoints).
    const trainerStates = files.filter((f) => f.startsWith('hf-trainer/'));
    expect(trainerStates).toHaveLength(31);
    expect(byFormat('hf-trainer')).toHaveLength(31);

    // 14 event files, grouped by folder into runs; every one read.
    const eventFiles = files.filter((f) => /events\.out\.tfevents\./.test(f));
    expect(eventFiles).toHaveLength(14);
    for (const f of eventFiles) expect(covered(f), f).toBe(true);
    expect(byFormat('tensorboard').length).toBe(new Set(eventFiles.map((f) => path.posix.dirname(f))).size);

    // MLflow: the corpus README says 8 runs, but its PROVENANCE.tsv lists 7 run folders
    // (6 with metrics, plus a parent run holding only meta.yaml); all 7 are read.
    const mlflowRunDirs = new Set(files.map((f) => /^(mlflow\/.*\/mlruns\/\d+\/[0-9a-f]{32})\//.exec(f)?.[1]).filter(Boolean));
    expect(mlflowRunDirs.size).toBe(7);
    expect(byFormat('mlflow')).toHaveLength(mlflowRunDirs.size);
    // 10 Lightning CSVs.
    expect(files.filter((f) => f.endsWith('metrics.csv'))).toHaveLength(10);
    expect(byFormat('lightning-csv')).toHaveLength(10);

    // lm-eval: every results and samples file belongs to a run.
    const lmEvalFiles = files.filter((f) => f.startsWith('lm-eval/') && /(results_.*\.json|samples_.*\.jsonl|\/\d+m_step\d+\.json|openllm\/.*\.json)$/.test(f));
    for (const f of lmEvalFiles) expect(covered(f), f).toBe(true);
    expect(byFormat('lm-eval').length).toBeGreaterThan(0);

    // Anything not in a run is reported, never silently dropped.
    const reported = new Set(result.issues.map((i) => i.file));
    const unaccounted = files.filter((f) => !covered(f) && !reported.has(f) && !reported.has(path.posix.dirname(f)));
    expect(unaccounted).toEqual([]);
  });
});
