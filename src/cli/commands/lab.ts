import { parseArgs } from 'node:util';
import { LAYERS } from '../../ladder/layers.js';
import { diagnosisToJson } from '../../ladder/to-json.js';
import { faultApplies, faultByName, FAULT_NAMES, FAULTS } from '../../lab/faults.js';
import { healthyConfig, Lab, type LabCase } from '../../lab/lab.js';
import { appendRecord, readRecord, recordKey } from '../../lab/record.js';
import { caseToJson, gradeCases, gradeOf, labToJson, runCases, tourCases, verdictRight, type CaseSpec, type Grade, type LabCaseJson } from '../../lab/tour.js';
import { worldEntry, WORLD_NAMES, WORLDS } from '../../lab/worlds/index.js';
import { UsageError } from '../errors.js';
import { paint, table, type Terminal } from '../terminal.js';
import { checkOutputFile, writeDiagnosisOutputs } from './report.js';

export const labHelp = `Usage: ladder lab [--world W] [--fault F] [--seed S] [--quick] [--json] [--html FILE] [--record FILE]
       ladder lab --list
       ladder lab --grade [--seeds N] [--world W]... [--quick] [--json] [--record FILE]

Synthetic worlds whose Bayes-optimal loss is known exactly, tiny models trained in-process,
and faults injected at one layer each. Every case is trained, logged like a real run, and
diagnosed by ladder's own engine; the degradation budget L_O − L_D is printed term by term,
true (the lab knows every loss) beside ladder's estimate (from the logs and the experiments
ladder plans).

With no arguments: the tour — a healthy model and one faulty model per layer.

Options:
  --world W      a world (see --list); with --fault, one case
  --fault F      a fault (see --list); default none (the healthy model)
  --seed S       seed of the world's tables, the weights and the data (default 0)
  --quick        half the training steps (faster, coarser)
  --grade        every graded world × fault that applies, over --seeds seeds (default 2):
                 verdict accuracy and budget estimation errors (long: minutes per world);
                 --world names the worlds, the ungraded ones included
  --seeds N      seeds for --grade (default 2)
  --list         the worlds and faults
  --json         print ladder.lab/v1
  --html FILE    also write the cases' diagnoses as one HTML report with the budget waterfall
  --record FILE  append each case to FILE (JSON lines) as soon as it finishes, and skip the
                 cases FILE already holds: a grade stopped at any moment resumes where it
                 stopped, and its summary counts the recorded cases too (--html shows
                 the cases trained in this run)
  -h, --help     show this help
`;

const f3 = (x: number | null) => (x === null || !Number.isFinite(x) ? '—' : (x >= 0 ? ' ' : '') + x.toFixed(3));

export function formatCase(c: LabCase, term: Pick<Terminal, 'color'>): string {
  const ok = verdictRight(caseToJson(c));
  const mark = ok ? paint(term, 'green', 'right') : paint(term, 'red', 'wrong');
  const findings = c.diagnosis.findings.filter((f) => f.severity !== 'info').map((f) => f.code);
  let text = `${paint(term, 'bold', `${c.world} · ${c.fault}`)} (seed ${c.seed}): injected ${c.injectedLayer}, ladder says ${paint(term, 'bold', c.verdict)} — ${mark}\n`;
  text += `  layers: ${c.diagnosis.layers.map((l) => `${l.layer} ${l.status}`).join(', ')}\n`;
  if (findings.length > 0) text += `  findings: ${[...new Set(findings)].join(', ')}\n`;
  if (c.probes.length > 0) text += `  probes: ${c.probes.map((p) => `accuracy ${p.accuracy.toFixed(3)} at length ${p.length}`).join(', ')}\n`;
  const l = c.budget.losses;
  text += `  L_O ${l.observed.toFixed(3)}  L_R ${l.reachable.toFixed(3)}  L_I ${l.instantiated.toFixed(3)}  L_P ${l.perceived.toFixed(3)}  L_D ${l.bayes.toFixed(3)}  (nats/token)\n`;
  const rows = LAYERS.map((layer) => {
    const estimate = c.budget.estimated[layer];
    const bar = '█'.repeat(Math.max(0, Math.min(40, Math.round((40 * Math.max(0, c.budget.true[layer])) / Math.max(1e-9, Math.abs(c.budget.total))))));
    return [`  ${layer}`, f3(c.budget.true[layer]), f3(estimate.estimate), estimate.low === null ? '' : `[${f3(estimate.low)}, ${f3(estimate.high)}]`, bar];
  });
  text += table(['  waterfall', 'true', 'estimated', '95% interval', ''], rows) + '\n';
  text += `  total L_O − L_D ${f3(c.budget.total)}   (${c.seconds.toFixed(1)} s, ${c.trained} runs trained)\n`;
  return text;
}

export function formatGrade(grade: Grade, term: Pick<Terminal, 'color'>): string {
  let text = `${paint(term, 'bold', 'grade')}: ${grade.correct}/${grade.cases} verdicts right (${(100 * grade.accuracy).toFixed(1)} %); healthy judged faulty: ${grade.healthyJudgedFaulty}/${grade.healthy}\n`;
  text += table(
    ['fault', 'cases', 'right', 'verdicts'],
    Object.entries(grade.byFault).map(([fault, g]) => [fault, String(g.cases), String(g.correct), Object.entries(g.verdicts).map(([v, n]) => `${v} ${n}`).join(', ')]),
  );
  if (grade.misses.length > 0) {
    text += '\nmisses:\n';
    for (const m of grade.misses) {
      const why = m.summary ?? (m.findings.length > 0 ? m.findings.join(', ') : 'no finding');
      text += `  ${m.world} · ${m.fault} (seed ${m.seed}): injected ${m.injectedLayer}, ladder says ${m.verdict} — ${why}\n`;
    }
  }
  if (grade.inert.length > 0) {
    text += `\nfaults that injected nothing measurable (their layer's true term at most 20 % of the total gap; counted above, set apart here):\n`;
    for (const c of grade.inert) text += `  ${c.world} · ${c.fault} (seed ${c.seed}): true ${c.injectedLayer} term ${c.term.toFixed(3)} of a total ${c.total === null ? '—' : c.total.toFixed(3)}; ladder says ${c.verdict}\n`;
    text += `  verdicts right over the other cases: ${grade.measurable.correct}/${grade.measurable.cases}\n`;
  }
  text += '\nbudget estimates, |estimated − true| / |L_O − L_D|:\n';
  text += table(
    ['term', 'within 20 %', 'median', 'max', 'true inside 95 % interval', 'within 20 %, where resolvable'],
    LAYERS.map((layer) => {
      const t = grade.terms[layer];
      return [layer, `${t.within}/${grade.cases}`, t.median.toFixed(3), t.max.toFixed(3), `${t.covered}/${grade.cases}`, `${t.withinResolvable}/${t.resolvable}`];
    }),
  );
  return text + '\n  resolvable: the estimate\'s 95 % interval is within ±20 % of the total gap, so that 20 % can be told apart from its noise\n';
}

function listing(): string {
  let text = 'worlds:\n';
  text += table(['  name', 'train length', 'eval lengths', 'description'], WORLD_NAMES.map((name) => [`  ${name}`, String(WORLDS[name].trainLength), WORLDS[name].evalLengths.join(', '), WORLDS[name].description]));
  text += '\n\nfaults:\n';
  text += table(
    ['  name', 'layer', 'worlds', 'description'],
    FAULT_NAMES.map((name) => {
      const fault = FAULTS[name];
      const worlds = WORLD_NAMES.filter((w) => faultApplies(fault, w));
      return [`  ${name}`, fault.layer, worlds.length === WORLD_NAMES.length ? 'all' : worlds.join(', '), fault.description];
    }),
  );
  return text + '\n';
}

function integerFlag(name: string, value: string | undefined, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < minimum) throw new UsageError(`--${name} takes an integer ≥ ${minimum} (got ${value})`);
  return n;
}

export async function labCommand(args: string[], term: Terminal): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        world: { type: 'string', multiple: true },
        fault: { type: 'string' },
        seed: { type: 'string' },
        seeds: { type: 'string' },
        quick: { type: 'boolean', default: false },
        grade: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        html: { type: 'string' },
        record: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\s*\n\s*/g, ' ')}; see \`ladder lab --help\``);
  }
  const { values } = parsed;
  if (values.help) {
    term.out(labHelp);
    return 0;
  }
  if (values.list) {
    term.out(listing());
    return 0;
  }
  const worlds = values.world ?? [];
  for (const world of worlds) {
    try {
      worldEntry(world);
    } catch {
      throw new UsageError(`unknown world: ${world} (known: ${WORLD_NAMES.join(', ')}); see \`ladder lab --list\``);
    }
  }
  if (values.fault !== undefined && !FAULT_NAMES.includes(values.fault as never)) {
    throw new UsageError(`unknown fault: ${values.fault} (known: ${FAULT_NAMES.join(', ')}); see \`ladder lab --list\``);
  }
  const seed = integerFlag('seed', values.seed, 0, 0);
  const html = values.html === undefined ? undefined : checkOutputFile(values.html, '--html');
  const recordFile = values.record === undefined ? undefined : checkOutputFile(values.record, '--record');
  const quick = values.quick;
  let cases: CaseSpec[];
  if (values.grade) {
    if (values.fault !== undefined) throw new UsageError('--grade runs every fault; drop --fault (or run one case with --world and --fault)');
    const seeds = integerFlag('seeds', values.seeds, 2, 1);
    cases = gradeCases(Array.from({ length: seeds }, (_, i) => seed + i), worlds.length > 0 ? worlds : undefined);
  } else if (worlds.length > 0 || values.fault !== undefined) {
    if (worlds.length > 1) throw new UsageError('one --world for a single case (several only with --grade)');
    const fault = faultByName(values.fault ?? 'none');
    const world = worlds[0] ?? WORLD_NAMES.find((w) => faultApplies(fault, w))!;
    if (!faultApplies(fault, world)) {
      throw new UsageError(`fault ${fault.name} does not apply to world ${world}; it applies to ${WORLD_NAMES.filter((w) => faultApplies(fault, w)).join(', ')}`);
    }
    cases = [{ world, fault: fault.name, seed }];
  } else {
    cases = tourCases(seed);
  }

  // Cases a record already holds are not trained again.
  const recorded = new Map<string, LabCaseJson>();
  if (recordFile !== undefined) {
    let record;
    try {
      record = readRecord(recordFile);
    } catch (error) {
      throw new UsageError(`--record ${values.record}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check its permissions or choose another file`);
    }
    for (const { quick: setting, ...c } of record.cases) recorded.set(recordKey({ ...c, quick: setting }), c);
    if (record.skipped.length > 0) {
      term.err(`${values.record}: line${record.skipped.length > 1 ? 's' : ''} ${record.skipped.join(', ')} ${record.skipped.length > 1 ? 'are' : 'is'} not a lab case (cut short when a run was stopped?); skipped, and those cases run again\n`);
    }
  }
  // A case's key holds its recipe's steps, so a record of the tour's short case does not stand in for the graded one.
  const keyOf = (c: CaseSpec) => recordKey({ ...c, quick, steps: healthyConfig(c.world, c.seed, { ...(quick ? { quick } : {}), ...(c.steps !== undefined ? { steps: c.steps } : {}) }).steps });
  const resumed = cases.filter((c) => recorded.has(keyOf(c)));
  const toRun = cases.filter((c) => !recorded.has(keyOf(c)));
  if (resumed.length > 0 && !values.json) term.err(`${resumed.length} of ${cases.length} cases read from ${values.record}; running the other ${toRun.length}\n`);

  const started = performance.now();
  const progress = values.json ? undefined : (text: string) => term.progress(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${text}`);
  let results: LabCase[] = [];
  let recordFailed = false;
  if (toRun.length > 0) {
    const lab = await Lab.start({ quick, ...(progress ? { progress } : {}) });
    try {
      results = await runCases(
        lab,
        toRun,
        (done, c) => {
          if (values.json) return;
          term.clearProgress();
          term.out(`${formatCase(c, term)}\n`);
          term.err(`${done}/${toRun.length} cases, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
        },
        recordFile === undefined
          ? undefined
          : (c) => {
              // A failed append must not stop the grade: the case is still printed at the end.
              if (recordFailed) return;
              try {
                appendRecord(recordFile, caseToJson(c), quick);
              } catch (error) {
                recordFailed = true;
                term.err(`ladder: cannot append to ${values.record} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the remaining cases are printed at the end but not recorded\n`);
              }
            },
        // A grade keeps two cases per thread in flight, so that cases finish along the way.
        values.grade ? 2 * lab.runner.size : undefined,
      );
    } finally {
      await lab.close();
    }
  }
  term.clearProgress();
  const seconds = (performance.now() - started) / 1000;
  const fresh = new Map(results.map((c) => [recordKey({ ...c, quick }), caseToJson(c)]));
  const all = cases.map((c) => fresh.get(keyOf(c)) ?? recorded.get(keyOf(c))!);
  const grade = values.grade ? gradeOf(all) : undefined;
  if (values.json) term.out(`${JSON.stringify(labToJson(all, seconds, grade), null, 2)}\n`);
  else {
    if (grade) term.out(formatGrade(grade, term));
    term.out(`${all.filter(verdictRight).length}/${all.length} verdicts right; ${seconds.toFixed(0)} s${resumed.length > 0 ? ` (${resumed.length} cases from ${values.record})` : ''}\n`);
  }
  if (html !== undefined) {
    const items = results.map((c) => {
      const json = diagnosisToJson(c.diagnosis, [], `lab/${c.world}/${c.fault}/seed${c.seed}`);
      return { diagnosis: c.diagnosis, json: { ...json, budget: c.budget.estimated } };
    });
    await writeDiagnosisOutputs(items as never, { html }, term);
  }
  return 0;
}
