/**
 * perception.concept-probe — concept families (the values of the scientific key declared as
 * `concept:` in ladder.yaml, e.g. the positional encoding) compared on discriminating probes
 * (`probes:`, e.g. accuracy on sequences longer than any seen in training). A family that
 * falls short of another on a probe at every size it was instantiated at (every combination
 * of the other scientific keys), each at its best over the nuisance settings and seeds, is
 * limited by its concept, not its instantiation or training (DESIGN 3.4): no tuning of the
 * size or the learning rate closed the gap.
 *
 * "Falls short" needs a gap larger than both `minGap` and `noiseMultiple` × the probe's seed
 * SD (pooled within settings, when seeds were repeated): per-size comparisons often rest on
 * a run or two, so a fixed practical margin guards where a test has no power.
 */
import { improvementDirection } from '../../checks/metric-kinds.js';
import { finitePoints } from '../../checks/series-tools.js';
import type { Run } from '../../model/run.js';
import { defineStudyCheck } from '../check.js';
import { valueKey } from '../study.js';

function finalValue(run: Run, series: string): number {
  const found = run.series[series];
  if (!found) return Number.NaN;
  const { values } = finitePoints(found);
  return values.length > 0 ? values.at(-1)! : Number.NaN;
}

export const conceptProbe = defineStudyCheck({
  code: 'perception.concept-probe',
  layer: 'perception',
  description: 'concept families compared on discriminating probes, at every size',
  thresholds: {
    minGap: {
      value: 0.1,
      why: 'ten points of a probe accuracy (or 0.1 of its unit): a practical difference far beyond the seed spread of probe scores in small models',
    },
    noiseMultiple: { value: 3, why: "a gap also has to exceed 3 seed SDs of the probe, when seeds were repeated (a 3-sigma rule for a difference of single runs)" },
  },
  evaluate(study, t) {
    if (study.concept === undefined) return { status: 'unknown', missing: 'a concept key (`concept:` in ladder.yaml) and probe series (`probes:`)' };
    if (study.probes.length === 0) return { status: 'unknown', missing: 'probe series (`probes:` in ladder.yaml)' };
    const concept = study.concept;
    const sizeKeys = study.scientific.filter((key) => key !== concept);
    const families = study.varying.find((v) => v.key === concept)!.values.map(valueKey);
    const failures: Record<string, unknown>[] = [];
    const table: Record<string, unknown>[] = [];
    let assessed = 0;
    for (const probe of study.probes) {
      const direction = improvementDirection(probe) || study.objective.direction;
      const oriented = (v: number) => direction * v;
      // Seed SD of the probe, pooled within settings.
      let squares = 0;
      let df = 0;
      for (const arm of study.arms) {
        for (const setting of arm.settings) {
          const values = setting.runs.map((r) => finalValue(r.run, probe)).filter(Number.isFinite);
          if (values.length < 2) continue;
          const mean = values.reduce((a, b) => a + b, 0) / values.length;
          for (const v of values) squares += (v - mean) ** 2;
          df += values.length - 1;
        }
      }
      const sd = df > 0 ? Math.sqrt(squares / df) : 0;
      const margin = Math.max(t.minGap, t.noiseMultiple * sd);
      // Best probe value of each family at each size.
      const best = new Map<string, Map<string, number>>();
      for (const arm of study.arms) {
        const family = valueKey(arm.scientific[concept]);
        const size = sizeKeys.map((key) => `${key}=${valueKey(arm.scientific[key])}`).join(', ') || 'all';
        const values = arm.settings.flatMap((s) => s.runs.map((r) => finalValue(r.run, probe))).filter(Number.isFinite);
        if (values.length === 0) continue;
        const top = values.reduce((a, b) => (oriented(b) > oriented(a) ? b : a));
        if (!best.has(family)) best.set(family, new Map());
        best.get(family)!.set(size, top);
      }
      const sizes = [...new Set([...best.values()].flatMap((m) => [...m.keys()]))];
      for (const size of sizes) {
        table.push({ probe, size, ...Object.fromEntries(families.map((f) => [f, best.get(f)?.get(size) ?? null])) });
      }
      for (const family of families) {
        const own = best.get(family);
        if (!own) continue;
        for (const other of families) {
          if (other === family || !best.get(other)) continue;
          const shared = sizes.filter((size) => own.has(size) && best.get(other)!.has(size));
          if (shared.length === 0) continue;
          assessed++;
          const gaps = shared.map((size) => oriented(best.get(other)!.get(size)!) - oriented(own.get(size)!));
          if (gaps.every((gap) => gap > margin)) {
            failures.push({
              probe,
              family,
              against: other,
              sizes: shared.length,
              smallestGap: Math.min(...gaps),
              familyBest: Math.max(...shared.map((s) => oriented(own.get(s)!))) * direction,
              otherWorst: Math.min(...shared.map((s) => oriented(best.get(other)!.get(s)!))) * direction,
              margin,
            });
          }
        }
      }
    }
    if (assessed === 0) return { status: 'unknown', missing: `runs of two concept families logging the probes (${study.probes.join(', ')})` };
    if (failures.length === 0) return { status: 'clear' };
    const failing = [...new Set(failures.map((f) => String(f.family)))];
    return {
      status: 'problem',
      findings: [
        {
          code: 'perception.concept-probe',
          layer: 'perception',
          severity: 'warning',
          runs: study.runs.filter((r) => failing.includes(valueKey(r.run.hparams[concept]))).map((r) => r.run.id),
          evidence: {
            concept,
            failing: failing.join(', '),
            failures: failures as never,
            table: table as never,
            sizeKeys: sizeKeys.join(', '),
            minGap: t.minGap,
          },
        },
      ],
    };
  },
});
