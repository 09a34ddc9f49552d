import { describe, expect, it } from 'vitest';
import { emptyRun, seriesFromArrays } from '../../src/model/run.js';
import { assignRoles } from '../../src/ingest/roles.js';

function runWith(names: string[]) {
  const run = emptyRun('r', 'csv', ['r.csv']);
  for (const name of names) run.series[name] = seriesFromArrays([0], [1]);
  return run;
}

describe('assignRoles', () => {
  it('maps Hugging Face names', () => {
    const roles = assignRoles(runWith(['loss', 'learning_rate', 'grad_norm', 'epoch', 'eval_loss', 'eval_accuracy', 'eval_runtime', 'eval_samples_per_second']));
    expect(roles).toEqual({
      trainLoss: 'loss',
      valLoss: 'eval_loss',
      lr: 'learning_rate',
      gradNorm: 'grad_norm',
      epoch: 'epoch',
      valMetrics: ['eval_accuracy'],
    });
  });

  it('maps Lightning and TensorBoard names', () => {
    expect(assignRoles(runWith(['train_loss_step', 'train_loss_epoch', 'val_loss', 'val_acc_epoch', 'lr-Adam', 'epoch']))).toMatchObject({
      trainLoss: 'train_loss_step',
      valLoss: 'val_loss',
      lr: 'lr-Adam',
      valMetrics: ['val_acc_epoch'],
    });
    expect(assignRoles(runWith(['train/loss', 'val/loss', 'val/accuracy', 'train/lr']))).toMatchObject({
      trainLoss: 'train/loss',
      valLoss: 'val/loss',
      lr: 'train/lr',
      valMetrics: ['val/accuracy'],
    });
  });

  it('finds Lightning\'s total gradient norm', () => {
    expect(assignRoles(runWith(['train_loss', 'grad_2.0_norm/layer.weight', 'grad_2.0_norm_total'])).gradNorm).toBe('grad_2.0_norm_total');
  });

  it('lets configured roles override convention, and the reader override convention', () => {
    const run = runWith(['loss', 'my_val', 'score']);
    run.roles = { valMetrics: ['score'] };
    expect(assignRoles(run, { valLoss: 'my_val' })).toMatchObject({ trainLoss: 'loss', valLoss: 'my_val', valMetrics: ['score'] });
  });
});
