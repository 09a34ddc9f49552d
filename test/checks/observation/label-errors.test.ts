import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelErrors } from '../../../src/checks/observation/label-errors.js';
import { ingest } from '../../../src/ingest/ingest.js';
import type { Baseline } from '../../../src/ladder/baseline.js';
import { evidenceOf } from '../../../src/ladder/evidence.js';
import type { Run } from '../../../src/model/run.js';
import { corpusPath, REPO } from '../../support/corpus.js';
import { defaults } from './support.js';

const FIXTURES = path.join(REPO, 'test/fixtures/diagnose-examples');
const truth = JSON.parse(readFileSync(path.join(FIXTURES, 'flipped.json'), 'utf8')) as { flipped: number[] };

async function runAt(folder: string): Promise<Run> {
  const { runs } = await ingest([folder]);
  expect(runs).toHaveLength(1);
  return runs[0]!;
}

function judge(r: Run, baseline?: Baseline, overrides: Record<string, number> = {}) {
  const outcome = labelErrors.evaluate(evidenceOf(r, baseline ? { baseline } : {}), { ...defaults(labelErrors), ...overrides });
  return outcome;
}

function only(outcome: ReturnType<typeof judge>) {
  if (outcome.status === 'unknown') throw new Error(`unexpected unknown: ${outcome.missing}`);
  return outcome.findings![0]!;
}

describe('observation.label-errors on a PyTorch classifier scored on an eval set with 84 flipped labels', () => {
  it('finds most of the flipped labels, ranked, and reports the rate (info below the threshold)', async () => {
    const r = await runAt(path.join(FIXTURES, 'strong'));
    const finding = only(judge(r));
    expect(finding.severity).toBe('info');
    const flagged = finding.evidence.flagged as number;
    expect(finding.evidence).toMatchObject({ checked: 1500, baseline: 'none', method: 'cleanlab prune_by_noise_rate' });
    // Graded against the known truth: the flagged count is within a factor 1.5 of the 84 flipped,
    // and most of the listed (most suspicious) items are truly flipped.
    expect(flagged).toBeGreaterThan(84 * 0.66);
    expect(flagged).toBeLessThan(84 * 1.5);
    const listed = finding.evidence.listed as { item: number; label: number; suggested: number }[];
    expect(listed).toHaveLength(20);
    const flipped = new Set(truth.flipped);
    expect(listed.filter((l) => flipped.has(l.item)).length).toBeGreaterThanOrEqual(17);
    expect(judge(r, undefined, { maxErrorRate: 0.05 }).status).toBe('problem');
  });

  it('questions a gap smaller than the flagged labels (a second seed), not a large one (a weak model)', async () => {
    const r = await runAt(path.join(FIXTURES, 'strong'));
    const close = { kind: 'items' as const, sets: (await runAt(path.join(FIXTURES, 'close'))).examples, source: 'close' };
    const weak = { kind: 'items' as const, sets: (await runAt(path.join(FIXTURES, 'weak'))).examples, source: 'weak' };
    const questioned = only(judge(r, close));
    expect(questioned.severity).toBe('warning');
    expect(questioned.evidence).toMatchObject({ baseline: 'items', gapItems: 2, withinLabelErrors: true });
    // Both systems re-scored on the items nobody flagged (1,500 minus the flagged).
    expect(questioned.evidence.cleanedItems).toBe(1500 - (questioned.evidence.flagged as number));
    const clear = only(judge(r, weak));
    expect(clear.severity).toBe('info');
    expect(clear.evidence.withinLabelErrors).toBe(false);
    expect(clear.evidence.gapItems).toBe(519 - 32);
  });

  it('against a value: the gap in items is |score − value|·n', async () => {
    const r = await runAt(path.join(FIXTURES, 'strong'));
    const near = only(judge(r, { kind: 'value', value: 0.89, source: 'paper' }));
    expect(near).toMatchObject({ severity: 'warning', evidence: { gapItems: 11, withinLabelErrors: true } });
    const far = only(judge(r, { kind: 'value', value: 0.7, source: 'paper' }));
    expect(far).toMatchObject({ severity: 'info', evidence: { gapItems: 296, withinLabelErrors: false } });
    expect(judge(r, { kind: 'value', value: 89, source: 'cli' }).status).toBe('unknown');
  });

  it('needs probabilities with integer labels', async () => {
    const r = await runAt(path.join(FIXTURES, 'strong'));
    r.examples = r.examples.map(({ probs: _probs, ...rest }) => rest);
    expect(judge(r).status).toBe('unknown');
  });
});

const CIFAR = corpusPath('label-errors');
describe.skipIf(!existsSync(path.join(CIFAR, 'original_test_labels')))('observation.label-errors on the CIFAR-10 release arrays (.npy)', () => {
  it('flags what cleanlab defaults flag (284) and carries the paper estimate (275)', async () => {
    const { mkdtempSync, rmSync, symlinkSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const folder = mkdtempSync(path.join(tmpdir(), 'ladder-cifar10-'));
    symlinkSync(path.join(CIFAR, 'cross_validated_predicted_probabilities', 'cifar10_test_set_pyx.npy'), path.join(folder, 'cifar10_test_set_pyx.npy'));
    symlinkSync(path.join(CIFAR, 'original_test_labels', 'cifar10_test_set_original_labels.npy'), path.join(folder, 'cifar10_test_set_original_labels.npy'));
    const finding = only(judge(await runAt(folder).finally(() => undefined)));
    rmSync(folder, { recursive: true, force: true });
    // 284: test/fixtures/label-issues/cleanlab-reference.json (prune_by_noise_rate); 275: the published count.
    expect(finding.evidence).toMatchObject({ checked: 10000, flagged: 284, paperEstimate: 275 });
  });
});
