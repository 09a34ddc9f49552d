/**
 * The six numerics/optimizer checks on every run of the real corpus: none may raise an error
 * (these are real, mostly healthy fine-tunes), and the few warnings are pinned to the runs
 * that a reader of the curves agrees with (a CodeBERT fine-tune near zero loss whose rare
 * hard batches spike the gradient norm ×10⁴).
 */
import { describe, expect, it } from 'vitest';
import { badInitLoss } from '../../../src/checks/reachability/bad-init-loss.js';
import { clippingAlways } from '../../../src/checks/reachability/clipping-always.js';
import { frozenAfterBlowup } from '../../../src/checks/reachability/frozen-after-blowup.js';
import { gradSpikes } from '../../../src/checks/reachability/grad-spikes.js';
import { instability } from '../../../src/checks/reachability/instability.js';
import { scheduleNeverDecays } from '../../../src/checks/reachability/schedule-never-decays.js';
import { ingest } from '../../../src/ingest/ingest.js';
import { evidenceOf } from '../../../src/ladder/evidence.js';
import { CORPUS_SKIP_REASON, HAS_CORPUS, corpusPath } from '../../support/corpus.js';
import { defaults } from '../observation/support.js';

const CHECKS = [frozenAfterBlowup, gradSpikes, instability, badInitLoss, clippingAlways, scheduleNeverDecays];

describe.skipIf(!HAS_CORPUS)(`numerics and optimizer checks on the real corpus${HAS_CORPUS ? '' : ` (${CORPUS_SKIP_REASON})`}`, () => {
  it('raise no error on any corpus run, and warn only where the curves show it', { timeout: 60_000 }, async () => {
    const { runs } = await ingest([corpusPath('real-logs')]);
    expect(runs.length).toBeGreaterThan(50);
    const warnings: string[] = [];
    for (const run of runs) {
      const evidence = evidenceOf(run);
      for (const check of CHECKS) {
        const outcome = check.evaluate(evidence, defaults(check));
        if (outcome.status === 'unknown') continue;
        for (const finding of outcome.findings ?? []) {
          expect(finding.severity, `${check.code} on ${run.id}`).not.toBe('error');
          if (finding.severity === 'warning') warnings.push(`${check.code} ${run.id.replace(/^.*real-logs\//, '')}`);
        }
      }
    }
    expect(warnings.sort()).toEqual([
      'reachability.grad-spikes hf-trainer/DiegoArteagaMendoza__AnalisisDeTacticasEnSoftwareClinicoUtilizandoCodeBERT/modelo',
      'reachability.instability hf-trainer/DiegoArteagaMendoza__AnalisisDeTacticasEnSoftwareClinicoUtilizandoCodeBERT/modelo',
    ]);
  });
});
