import { describe, expect, it } from 'vitest';
import { valBetterThanTrain } from '../../../src/checks/observation/val-better-than-train.js';
import { ingest } from '../../../src/ingest/ingest.js';
import { HAS_CORPUS, corpusPath } from '../../support/corpus.js';
import { decayingLoss, range, runWithSeries } from '../../support/runs.js';
import { evaluate, exampleRun, hasSuiteCase, suiteRun } from './support.js';

const steps = range(400, 5);
const evalSteps = range(20, 100);
const train = decayingLoss(steps, 2.3, 0.8, 300, 0.1, 1);
/** The validation loss as a multiple of the noiseless training curve at the evaluation steps. */
const valAt = (factor: number, seed: number) => decayingLoss(evalSteps, 2.3, 0.8, 300, 0.01, seed).map((v) => v * factor);

describe('observation.val-better-than-train', () => {
  it('fires when validation sits at half the training loss through the second half', () => {
    const outcome = evaluate(valBetterThanTrain, runWithSeries('leak', { 'train/loss': [steps, train], 'val/loss': [evalSteps, valAt(0.5, 2)] }));
    expect(outcome.status).toBe('problem');
    if (outcome.status !== 'problem') return;
    const { evidence } = outcome.findings[0]!;
    expect(evidence).toMatchObject({ trainSeries: 'train/loss', valSeries: 'val/loss', evaluations: 10, below: 10, share: 1, fromStep: 1100 });
    expect(evidence.medianRatio as number).toBeGreaterThan(0.45);
    expect(evidence.medianRatio as number).toBeLessThan(0.55);
  });

  it('stays silent on a gap dropout explains (val 15% below train) and on overfitting (val above train)', () => {
    expect(evaluate(valBetterThanTrain, runWithSeries('dropout', { 'train/loss': [steps, train], 'val/loss': [evalSteps, valAt(0.85, 3)] })).status).toBe('clear');
    expect(evaluate(valBetterThanTrain, runWithSeries('overfit', { 'train/loss': [steps, train], 'val/loss': [evalSteps, valAt(1.6, 4)] })).status).toBe('clear');
  });

  it('the margin is a threshold: val at 0.6 × train fires at 0.3, not at 0.5', () => {
    const run = () => runWithSeries('m', { 'train/loss': [steps, train], 'val/loss': [evalSteps, valAt(0.6, 5)] });
    expect(evaluate(valBetterThanTrain, run()).status).toBe('problem');
    expect(evaluate(valBetterThanTrain, run(), { margin: 0.5 }).status).toBe('clear');
  });

  it('ignores only the first half: a gap early on (training loss lagging a fast-improving model) is not enough', () => {
    const val = valAt(1, 6).map((v, i) => (evalSteps[i]! < 1000 ? v * 0.4 : v));
    expect(evaluate(valBetterThanTrain, runWithSeries('early', { 'train/loss': [steps, train], 'val/loss': [evalSteps, val] })).status).toBe('clear');
  });

  it('stays silent when both losses are near zero (gap below 2% of the initial loss)', () => {
    const tiny = steps.map((s) => (s < 200 ? 1 : 0.002));
    const val = evalSteps.map(() => 0.0008);
    const run = () => runWithSeries('tiny', { 'train/loss': [steps, tiny], 'val/loss': [evalSteps, val] });
    expect(evaluate(valBetterThanTrain, run()).status).toBe('clear');
    expect(evaluate(valBetterThanTrain, run(), { minGapOfInitial: 0 }).status).toBe('problem');
  });

  it('smooths training spikes and skips NaN points', () => {
    const spiky = [...train];
    for (let i = 200; i < spiky.length; i += 20) spiky[i] = 50;
    spiky[250] = Number.NaN;
    const outcome = evaluate(valBetterThanTrain, runWithSeries('spiky', { 'train/loss': [steps, spiky], 'val/loss': [evalSteps, valAt(0.9, 7)] }));
    expect(outcome.status).toBe('clear');
  });

  it('says what it needs: both losses, of the same quantity, with evaluations in the second half', () => {
    expect(evaluate(valBetterThanTrain, runWithSeries('noval', { 'train/loss': [steps, train] }))).toEqual({ status: 'unknown', missing: 'a training loss and a validation loss series' });
    const mismatch = evaluate(valBetterThanTrain, runWithSeries('mix', { 'train/nll_loss': [steps, train], 'val/rmse_loss': [evalSteps, valAt(0.3, 8)] }));
    expect(mismatch.status).toBe('unknown');
    const short = evaluate(valBetterThanTrain, runWithSeries('short', { 'train/loss': [steps, train], 'val/loss': [[100, 200], [1, 1]] }));
    expect(short.status).toBe('unknown');
  });

  it('stays silent on the real examples: healthy HF, overfitting Lightning, stalled TensorBoard', async () => {
    expect(evaluate(valBetterThanTrain, await exampleRun('hf-healthy', 'hf-trainer')).status).toBe('clear');
    expect(evaluate(valBetterThanTrain, await exampleRun('lightning-overfit')).status).toBe('clear');
    expect(evaluate(valBetterThanTrain, await exampleRun('torch-tensorboard-stall')).status).toBe('clear');
  });

  it.skipIf(!hasSuiteCase('healthy-tb-k10'))('stays silent on the suite healthy TensorBoard run', async () => {
    expect(evaluate(valBetterThanTrain, await suiteRun('healthy-tb-k10')).status).toBe('clear');
  });

  it.skipIf(!HAS_CORPUS)('on the corpus: fires on the Whisper-tiny fine-tune whose eval loss is 0.6× its training loss for 50k steps', async () => {
    const { runs } = await ingest([corpusPath('real-logs/hf-trainer/CoralReefFish__whisper-tiny-nbaiLab')]);
    const outcome = evaluate(valBetterThanTrain, runs.find((r) => r.format === 'hf-trainer')!);
    expect(outcome.status).toBe('problem');
    if (outcome.status === 'problem') expect(outcome.findings[0]!.evidence).toMatchObject({ evaluations: 50, below: 50 });
  });

  it.skipIf(!HAS_CORPUS)('on the corpus: silent where both losses are ~0.001 (RoBERTa log classifier at 100% accuracy)', async () => {
    const { runs } = await ingest([corpusPath('real-logs/hf-trainer/Dude-0313__LogClassifier_Roberta_V1')]);
    expect(evaluate(valBetterThanTrain, runs.find((r) => r.format === 'hf-trainer')!).status).toBe('clear');
  });
});
