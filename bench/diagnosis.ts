/**
 * Diagnosis: accuracy on the labelled suite (test/fixtures/diagnosis-suite) for ladder and
 * for the anchors' fixed-threshold rules (bench/baseline-rules.ts) side by side, with
 * ladder's confusion matrix; and the time to diagnose the largest real runs (the 100k-step
 * Whisper run and the 600 kB trainer_state) against a native JSON.parse of the same file.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../src/ingest/ingest.js';
import { diagnoseRun } from '../src/ladder/diagnose.js';
import { formatConfusion, grade, ladderPredict, loadSuite } from '../src/ladder/suite.js';
import { autotrainerVerdict } from './baseline-rules.js';
import { bestOf, figure, type Benchmark, type Figure } from './harness.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');

const LARGEST = [
  ['whisper-100k-steps', 'CoralReefFish__whisper-tiny-nbaiLab/trainer_state.json'],
  ['trainer-state-600kB', 'ijinyu1113__Learned-Remasking-Policy-for-dLLM/checkpoint-1000/trainer_state.json'],
] as const;

export const diagnosisBenchmark: Benchmark = {
  name: 'diagnosis',
  description: 'suite accuracy of ladder vs AutoTrainer/UMLAUT fixed rules; time to diagnose the largest real runs',
  async run(context) {
    const figures: Figure[] = [];
    const notes: string[] = [];
    const suiteRoot = path.join(REPO, 'test/fixtures/diagnosis-suite');
    if (existsSync(path.join(suiteRoot, 'labels.json'))) {
      const cases = await loadSuite(suiteRoot);
      const ladder = grade(cases, ladderPredict);
      const baseline = grade(cases, (run) => ({ verdict: autotrainerVerdict(run) }));
      figures.push(
        figure(
          'suite.accuracy',
          { value: ladder.accuracy, unit: 'fraction of cases' },
          { name: 'AutoTrainer + UMLAUT fixed-threshold rules on the same cases', value: baseline.accuracy, unit: 'fraction of cases' },
          'ladder accuracy over the baseline accuracy (> 1: ladder names the right layer more often)',
        ),
      );
      notes.push(`suite: ${ladder.total} cases; ladder ${ladder.correct} right, baseline ${baseline.correct} right`);
      notes.push(`ladder misses: ${ladder.misses.map((m) => `${m.case} (${m.expected} → ${m.got})`).join(', ') || 'none'}`);
      notes.push(`healthy runs with an error finding: ${ladder.healthyWithErrors.join(', ') || 'none'}`);
      context.log(`  ladder confusion matrix:\n${formatConfusion(ladder).replace(/^/gm, '    ')}`);
      context.log(`  baseline confusion matrix:\n${formatConfusion(baseline).replace(/^/gm, '    ')}`);
    } else {
      notes.push('labelled suite not found: accuracy skipped');
    }

    const corpus = process.env.LADDER_CORPUS
      ? path.join(process.env.LADDER_CORPUS, 'real-logs/hf-trainer')
      : path.resolve(REPO, '../shared/corpus/real-logs/hf-trainer');
    for (const [label, rel] of LARGEST) {
      const file = path.join(corpus, rel);
      if (!existsSync(file)) {
        notes.push(`${label}: corpus file not found, skipped`);
        continue;
      }
      const diagnose = await bestOf(5, async () => {
        const { runs } = await ingest([file]);
        return diagnoseRun(runs[0]!);
      });
      const parse = await bestOf(5, async () => JSON.parse(readFileSync(file, 'utf8').replace(/\b(-?Infinity|NaN)\b/g, '"$1"')) as unknown);
      context.log(`  ${label}: ingest + diagnose ${(diagnose.seconds * 1000).toFixed(1)} ms wall, verdict ${diagnose.result.verdict.layer}`);
      figures.push(
        figure(
          `${label}.diagnose-seconds`,
          { value: diagnose.seconds, unit: 's (wall, ingest + diagnose)' },
          { name: 'read + native JSON.parse of the same file', value: parse.seconds, unit: 's (wall)' },
          'how many native parses of the file one full diagnosis costs',
        ),
      );
    }
    return { figures, notes };
  },
};
