/**
 * The lab's tour end to end (issue 7, the README's first command): a healthy model and one
 * fault per layer, each diagnosed by ladder's own loop; every verdict must name the injected
 * layer. The perception case reproduces the textbook phenomenon: learned absolute positions
 * trained at length 16 on an order-2 Markov language fail at 2L and 4L while ALiBi keeps its
 * accuracy, and ladder, from the concept study alone, names perception. About three minutes
 * of training on two cores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultByName } from '../../src/lab/faults.js';
import { healthyConfig, Lab, type LabCase } from '../../src/lab/lab.js';
import { caseToJson, runCases, TOUR_PERCEPTION_STEPS, tourCases } from '../../src/lab/tour.js';

describe('the tour', () => {
  let lab: Lab;
  let cases: LabCase[];
  const find = (fault: string) => cases.find((c) => c.fault === fault)!;
  beforeAll(async () => {
    lab = await Lab.start();
    cases = await runCases(lab, tourCases(0));
  }, 1_200_000);
  afterAll(() => lab?.close());

  it('names the injected layer in every case, the healthy one included', () => {
    expect(cases.map((c) => [c.fault, c.verdict])).toEqual(cases.map((c) => [c.fault, c.injectedLayer]));
    expect(cases.map((c) => c.injectedLayer)).toEqual(['none', 'observation', 'reachability', 'instantiation', 'perception']);
  });

  it('the JSON of each case carries its diagnosis: every finding with its evidence', () => {
    for (const c of cases) {
      const json = caseToJson(c);
      const findings = json.diagnosis!.findings;
      expect(findings.map((f) => f.code)).toEqual(c.diagnosis.findings.map((f) => f.code));
      expect(findings.filter((f) => f.severity !== 'info').map((f) => f.code)).toEqual(json.findings);
      expect(json.diagnosis!.summary).toBe(c.diagnosis.verdict.summary);
      // What a record line holds reads back unchanged: no NaN or Infinity turned into null on the way.
      expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    }
    // The sweep ladder ran around the lr-high run is on record with what it measured.
    const gap = caseToJson(find('lr-high')).diagnosis!.findings.find((f) => f.code === 'reachability.tuned-gap' && f.severity !== 'info');
    const evidence = gap?.evidence as { value: number; bestValue: number; gap: number; low: number };
    expect(evidence.value).toBeGreaterThan(evidence.bestValue);
    expect(evidence.gap).toBeCloseTo(evidence.value - evidence.bestValue, 9);
    expect(evidence.low).toBeGreaterThan(0);
  });

  it("estimates the faulty layer's term within 20 % of the total gap", () => {
    for (const [fault, layer] of [['lr-high', 'reachability'], ['width4', 'instantiation'], ['learned-positions', 'perception']] as const) {
      const { budget } = find(fault);
      expect(Math.abs(budget.estimated[layer].estimate! - budget.true[layer]), fault).toBeLessThan(0.2 * budget.total);
    }
  });

  it('perception: learned positions lose their accuracy beyond the training length; ALiBi keeps most of it', async () => {
    const found = find('learned-positions');
    const learned = found.probes;
    expect(learned.map((p) => p.length)).toEqual([32, 64]);
    // The healthy ALiBi run (at the tour's steps) is one of the concept study's runs: the session returns it without training.
    const trainedBefore = lab.trained;
    const recipe = healthyConfig('markov2-extrapolate', 0, { steps: TOUR_PERCEPTION_STEPS });
    expect(found.steps).toBe(TOUR_PERCEPTION_STEPS);
    const alibi = await lab.trial(recipe);
    expect(lab.trained).toBe(trainedBefore);
    const alibiAt4L = alibi.probes.find((p) => p.length === 64)!.accuracy;
    expect(alibiAt4L).toBeGreaterThan(0.9 * alibi.evalAccuracy);
    expect(learned[1]!.accuracy).toBeLessThan(alibiAt4L - 0.1);
    // The learned-positions run itself fits the training length well and falls apart beyond it.
    const own = await lab.trial(faultByName('learned-positions').apply(recipe));
    expect(lab.trained).toBe(trainedBefore);
    expect(learned[1]!.accuracy).toBeLessThan(0.8 * own.evalAccuracy);
    expect(found.diagnosis.layers.find((l) => l.layer === 'reachability')!.status).toBe('pass');
  });
});
