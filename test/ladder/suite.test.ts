/**
 * The labelled suite (test/fixtures/diagnosis-suite: runs with faults injected through real
 * training, in four formats): ladder's verdict must match the label on at least 90 % of the
 * cases, no healthy run may get an error-severity finding, and every check must fire on a
 * case labelled with it while staying silent (no warning or error) on every healthy run.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/registry.js';
import { formatConfusion, grade, ladderPredict, loadSuite, type SuiteCase } from '../../src/ladder/suite.js';
import { REPO } from '../support/corpus.js';

const SUITE = path.join(REPO, 'test/fixtures/diagnosis-suite');
/**
 * Checks tested on real runs outside the suite: collapse on examples/runs/hf-lr-too-high
 * (test/checks/reachability/collapse.test.ts); the per-example checks, which need a baseline
 * or per-example probabilities the suite's runs do not log, on PyTorch classifiers' eval
 * predictions (test/fixtures/diagnose-examples, test/checks/observation/{eval-interval,label-errors}.test.ts).
 */
const EXAMPLE_ONLY = new Set(['reachability.collapse', 'observation.eval-interval', 'observation.label-errors']);
let cases: SuiteCase[] = [];

beforeAll(async () => {
  cases = await loadSuite(SUITE);
}, 120_000);

describe('the labelled diagnosis suite', () => {
  it('holds at least 24 cases in at least three formats, healthy ones included', () => {
    expect(cases.length).toBeGreaterThanOrEqual(24);
    expect(new Set(cases.map((c) => c.run.format)).size).toBeGreaterThanOrEqual(3);
    expect(cases.filter((c) => c.label.healthy).length).toBeGreaterThanOrEqual(6);
  });

  it('gets the verdict right on at least 90 % of the cases', () => {
    const g = grade(cases, ladderPredict);
    console.log(`suite accuracy ${g.correct}/${g.total}\n${formatConfusion(g)}\nmisses: ${JSON.stringify(g.misses)}`);
    expect(g.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(g.healthyWithErrors).toEqual([]);
  });

  it('fires every check on a case labelled with it, and none on a healthy run', () => {
    const fired = new Map<string, Set<string>>();
    for (const { label, run } of cases) {
      const { diagnosis } = ladderPredict(run);
      const codes = new Set(diagnosis.findings.filter((f) => f.severity !== 'info').map((f) => f.code));
      fired.set(label.case, codes);
      if (label.healthy) expect([...codes], label.case).toEqual([]);
    }
    for (const check of CHECKS) {
      // Checks whose fault the suite does not inject are held to a real example in their own tests.
      if (EXAMPLE_ONLY.has(check.code)) continue;
      const labelled = cases.filter((c) => c.label.expected_findings.includes(check.code));
      expect(labelled.length, `no suite case is labelled ${check.code}`).toBeGreaterThan(0);
      const caught = labelled.filter((c) => fired.get(c.label.case)!.has(check.code));
      expect(caught.map((c) => c.label.case), `${check.code} fires on none of its cases`).not.toEqual([]);
    }
  });
});
