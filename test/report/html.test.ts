import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { diagnoseRun } from '../../src/ladder/diagnose.js';
import { diagnosisToJson } from '../../src/ladder/to-json.js';
import { assembleStudy } from '../../src/studies/study.js';
import { diagnoseStudy } from '../../src/studies/diagnose-study.js';
import { comparisonReport, diagnosisReport } from '../../src/report/html.js';
import { figuresOfDiagnosis } from '../../src/report/figures.js';
import { renderFigure } from '../../src/report/plots.js';
import { serverDocument } from '../../src/report/server-document.js';
import { decayingLoss, range, runWithSeries } from '../support/runs.js';

const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  "'><svg onload=alert(3)>",
  'javascript:alert(4)',
  `long-${'x'.repeat(5000)}`,
];

/** Every way a report could run code or fetch: script elements, on* handlers, javascript:/remote URLs. */
function dangers(html: string): string[] {
  const { document } = parseHTML(html);
  const found: string[] = [];
  if (document.querySelectorAll('script').length > 0) found.push('script element');
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of Array.from(element.attributes) as { name: string; value: string }[]) {
      if (/^on/i.test(attribute.name)) found.push(`${element.tagName} ${attribute.name}`);
      if (/^(href|src|xlink:href|action|formaction)$/i.test(attribute.name) && !/^#[\w-]*$/.test(attribute.value)) found.push(`${element.tagName} ${attribute.name}=${attribute.value}`);
    }
  }
  for (const tag of ['img', 'iframe', 'object', 'embed', 'link', 'foreignObject']) if (document.querySelectorAll(tag).length > 0) found.push(tag);
  return found;
}

function textOf(html: string): string {
  return parseHTML(html).document.documentElement.textContent ?? '';
}

function hostileRun(i: number) {
  const steps = range(400, 10);
  const name = HOSTILE[i % HOSTILE.length]!;
  const train = decayingLoss(steps, 2.3, 0.4, 800, 0.02, i);
  // Validation loss that falls then rises: an overfitting finding with marks on a hostile series name.
  const val = steps.map((t) => 0.9 + 1e-7 * (t - 1500) ** 2);
  const run = runWithSeries(`run ${name}`, { [`loss ${name}`]: [steps, train], [`eval_loss${name}`]: [steps, val] }, {
    [`key ${HOSTILE[0]}`]: HOSTILE[1]!,
    [HOSTILE[3]!]: HOSTILE[4]!,
    learning_rate: 1e-3,
  });
  run.roles.trainLoss = `loss ${name}`;
  run.roles.valLoss = `eval_loss${name}`;
  run.tags = { [HOSTILE[2]!]: HOSTILE[0]! };
  return run;
}

describe('diagnosisReport', () => {
  it('renders hostile run names, tags, hyperparameters and series names as text only', () => {
    const runs = HOSTILE.map((_, i) => hostileRun(i));
    const items = runs.map((run) => {
      const diagnosis = diagnoseRun(run);
      return { diagnosis, json: diagnosisToJson(diagnosis, []) };
    });
    expect(items.some(({ diagnosis }) => diagnosis.findings.some((f) => f.code === 'reachability.overfitting'))).toBe(true);
    const html = diagnosisReport(items);
    expect(dangers(html)).toEqual([]);
    const text = textOf(html);
    for (const hostile of HOSTILE.slice(0, 4)) expect(text).toContain(hostile);
    expect(text).toContain(`long-${'x'.repeat(1990)}`);
    // The SVGs are present (one per figure) and carry hostile series names as text.
    const { document } = parseHTML(html);
    expect(document.querySelectorAll('svg').length).toBeGreaterThanOrEqual(items.length * 2);
    const svgText = Array.from(document.querySelectorAll('svg text') as ArrayLike<{ textContent: string | null }>).map((t) => t.textContent ?? '').join('\n');
    expect(svgText).toContain('loss <script>alert(1)</script>');
    expect(html).toContain("Content-Security-Policy");
  });

  it('renders a study with hostile arm values as text, with arm, sweep and curve figures', () => {
    const runs = [];
    for (const arch of [HOSTILE[0]!, HOSTILE[1]!]) {
      for (const lr of [1e-4, 1e-3, 1e-2]) {
        for (const seed of [0, 1]) {
          const steps = range(50, 10);
          const final = (arch === HOSTILE[0] ? 0.5 : 0.6) + 0.1 * Math.abs(Math.log10(lr) + 3) + 0.01 * seed;
          const run = runWithSeries(`${arch}-${lr}-${seed}`, { eval_loss: [steps, steps.map((t) => final + 1 / t)] }, { arch, learning_rate: lr, seed });
          run.roles.valLoss = 'eval_loss';
          runs.push(run);
        }
      }
    }
    const assembled = assembleStudy(runs);
    if (!('study' in assembled)) throw new Error(assembled.notStudy);
    const diagnosis = diagnoseStudy(assembled.study, 'study <b>x</b>');
    const figures = figuresOfDiagnosis(diagnosis, diagnosisToJson(diagnosis, []).budget);
    expect(figures.map((f) => f.kind)).toEqual(expect.arrayContaining(['waterfall', 'arms', 'sweep', 'curves']));
    const arms = figures.find((f) => f.kind === 'arms')!;
    if (arms.kind !== 'arms') throw new Error('arms');
    // Pooled seed SD over 6 settings of 2 seeds; every arm's interval is centred on its best mean.
    for (const arm of arms.arms) {
      expect(arm.low).not.toBeNull();
      expect((arm.low! + arm.high!) / 2).toBeCloseTo(arm.mean, 12);
    }
    const html = diagnosisReport([{ diagnosis, json: diagnosisToJson(diagnosis, []) }]);
    expect(dangers(html)).toEqual([]);
    const text = textOf(html);
    expect(text).toContain(`arch=${HOSTILE[1]}`);
    expect(text).toContain('study <b>x</b>');
  });

  it('shows unknown budget terms as unknown and known ones as bars', () => {
    const document = serverDocument();
    const unknown = renderFigure({ kind: 'waterfall', title: 't', terms: ['observation', 'reachability', 'instantiation', 'perception'].map((layer) => ({ layer: layer as 'observation', term: 'x', estimate: null, low: null, high: null })) }, document);
    expect(unknown.match(/unknown: not measured/g)?.length).toBe(4);
    const known = renderFigure(
      { kind: 'waterfall', title: 't', terms: [{ layer: 'observation', term: 'x', estimate: 0.25, low: 0.2, high: 0.3 }, { layer: 'reachability', term: 'y', estimate: null, low: null, high: null }] },
      document,
    );
    expect(known.match(/unknown: not measured/g)?.length).toBe(1);
    expect(known).toContain('>0.250<');
  });
});

describe('comparisonReport', () => {
  it('shows both intervals and the paired difference, hostile paths as text', () => {
    const html = comparisonReport(
      { n: 500, a: { value: 0.8, ci: [0.76, 0.83] }, b: { value: 0.75, ci: [0.71, 0.79] }, difference: { value: 0.05, ci: [0.01, 0.09], pValue: 0.012 }, mde: 0.04, significant: true, metric: 'correct' },
      { a: HOSTILE[0]!, b: HOSTILE[1]! },
    );
    expect(dangers(html)).toEqual([]);
    const text = textOf(html);
    expect(text).toContain(HOSTILE[0]!);
    expect(text).toContain('0.05 [0.01, 0.09]');
    expect(text).toContain('p = 0.012');
  });
});
