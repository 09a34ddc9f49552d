import { parseArgs } from 'node:util';
import { probeVerdict, runProbe, type ProbeResult } from '../../observation/probe.js';
import { UsageError } from '../errors.js';
import { describeShape, readNpyArgument } from '../npy-argument.js';
import { table, type Terminal } from '../terminal.js';

export const probeHelp = `Usage: ladder probe --features FILE.npy --labels FILE.npy [--types FILE.npy] [--folds 5] [--seed N] [--C 1] [--json]

Does the model's hidden representation encode a property its output does not report? Trains
a linear probe (L2 multinomial logistic regression, scikit-learn's objective) on exported
hidden states, measures its accuracy out of fold by stratified k-fold cross-validation, and
compares it with a control task (Hewitt & Liang 2019): the same probe on random labels given
per input identity. Selectivity = probe accuracy − control accuracy.

Options:
  --features FILE   .npy float array (examples, dims): one hidden state per example
  --labels FILE     .npy 1-D integer array (examples,): the property to probe for
  --types FILE      .npy 1-D integer array (examples,): the input identity of each example
                    (e.g. word-type id) for the control task; without it each example is
                    its own type and the control accuracy is that of a prior-only guess
  --folds K         cross-validation folds (default 5)
  --seed N          seed of the fold assignment and control labels (default 0)
  --C VALUE         inverse penalty strength, as scikit-learn's C (default 1, fixed; no
                    search over C, so the probe is the same for the property and the control)
  --no-standardize  use the features as they are (default: standardize each feature with
                    the training fold's mean and SD)
  --json            print {"schema":"ladder.probe/v1","n","d","classes","folds","probe":{…},
                    "control":{…},"selectivity","majority","chance","encodes",…}
  -h, --help        show this help

Exit status: 0 on success (whether or not the label is encoded), 2 for usage errors.
`;

async function readFeatures(file: string): Promise<{ data: Float64Array; rows: number; dims: number }> {
  const array = await readNpyArgument('--features', file);
  if (array.shape.length !== 2) {
    throw new UsageError(`--features ${file}: shape ${describeShape(array)} is not 2-D; expected (examples, dims), e.g. hidden.reshape(len(hidden), -1)`);
  }
  const [rows, dims] = array.shape as [number, number];
  if (rows === 0 || dims === 0) throw new UsageError(`--features ${file}: shape ${describeShape(array)} holds no values`);
  const data = array.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new UsageError(`--features ${file}: value ${data[i]} at example ${Math.floor(i / dims)}, dim ${i % dims} is not finite; drop or fix those examples before probing`);
    }
  }
  return { data, rows, dims };
}

async function readIntegers(flag: string, file: string, what: string): Promise<Float64Array> {
  const array = await readNpyArgument(flag, file);
  const flat = array.shape.length === 1 || (array.shape.length === 2 && array.shape[1] === 1);
  if (!flat) throw new UsageError(`${flag} ${file}: shape ${describeShape(array)} is not 1-D; expected (examples,), one ${what} per example`);
  if (array.kind !== 'i' && array.kind !== 'u' && array.kind !== 'b') {
    throw new UsageError(`${flag} ${file}: dtype ${array.descr} is not an integer type; save integer ${what}s (e.g. ${what}s.astype(numpy.int64))`);
  }
  return array.data;
}

function checkLength(flag: string, file: string, count: number, featuresFile: string, rows: number): void {
  if (count !== rows) {
    throw new UsageError(`${flag} ${file} has ${count} entries but --features ${featuresFile} has ${rows} rows; both must list the same examples in the same order`);
  }
}

function parsePositive(flag: string, text: string, integer: boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag} takes a positive ${integer ? 'integer' : 'number'} (got ${text})`);
  }
  return value;
}

export interface ProbeReport extends ProbeResult {
  schema: 'ladder.probe/v1';
  cSelection: 'fixed';
  verdict: string;
}

function round(x: number): string {
  return x.toFixed(3);
}

export function formatProbe(r: ProbeReport): string {
  const interval = (ci: [number, number]) => `[${round(ci[0])}, ${round(ci[1])}]`;
  const controlWhat =
    r.control.method === 'types'
      ? `random label per input type (${r.control.types.toLocaleString('en-US')} types)`
      : 'random label per example (no --types: a prior-only guess)';
  let text = `${r.verdict}\n\n`;
  text += table(
    ['', 'accuracy', '95 % interval', 'what'],
    [
      ['probe', round(r.probe.accuracy), interval(r.probe.ci), 'the labels, from the features'],
      ['control', round(r.control.accuracy), interval(r.control.ci), controlWhat],
      ['majority', round(r.majority), '', 'always the most frequent class'],
      ['chance', round(r.chance), '', `uniform guess among ${r.classes} classes`],
    ],
  );
  text += `\nselectivity ${round(r.selectivity)} (probe − control)\n`;
  text += `${r.n.toLocaleString('en-US')} examples × ${r.d} dims, ${r.folds}-fold stratified CV (seed ${r.seed}), `;
  text += `L2 logistic regression with C = ${r.C} (fixed, --C to change)${r.standardized ? ', features standardized per training fold' : ''}\n`;
  if (r.unconvergedFits > 0) text += `${r.unconvergedFits} of ${2 * r.folds} fits stopped at the iteration cap; try a smaller --C\n`;
  return text;
}

export async function probeCommand(args: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      features: { type: 'string' },
      labels: { type: 'string' },
      types: { type: 'string' },
      folds: { type: 'string', default: '5' },
      seed: { type: 'string', default: '0' },
      C: { type: 'string', default: '1' },
      'no-standardize': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(probeHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`probe takes no positional arguments (got ${positionals[0]}); use --features FILE --labels FILE`);
  if (!values.features || !values.labels) {
    throw new UsageError('probe needs --features FILE.npy and --labels FILE.npy, e.g. `ladder probe --features hidden.npy --labels labels.npy`');
  }
  const folds = parsePositive('--folds', values.folds!, true);
  if (folds < 2) throw new UsageError(`--folds takes an integer of at least 2 (got ${values.folds})`);
  const seedText = values.seed!;
  const seed = Number(seedText);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed takes a non-negative integer (got ${seedText})`);
  const C = parsePositive('--C', values.C!, false);

  const features = await readFeatures(values.features);
  const labels = await readIntegers('--labels', values.labels, 'label');
  checkLength('--labels', values.labels, labels.length, values.features, features.rows);
  const distinct = new Set(labels).size;
  if (distinct < 2) throw new UsageError(`--labels ${values.labels}: all ${labels.length} labels are the same class; a probe needs at least 2 classes`);
  let types: Float64Array | undefined;
  if (values.types !== undefined) {
    types = await readIntegers('--types', values.types, 'type id');
    checkLength('--types', values.types, types.length, values.features, features.rows);
  }
  if (folds > features.rows) throw new UsageError(`--folds ${folds} is more than the ${features.rows} examples; use at most ${features.rows}`);

  const result = runProbe(
    { features: features.data, dims: features.dims, labels, types },
    {
      folds,
      seed,
      C,
      standardize: !values['no-standardize'],
      onProgress: values.json ? undefined : (done, total) => term.progress(`probe: fit ${done}/${total} (${done <= folds ? 'labels' : 'control'})`),
    },
  );
  term.clearProgress();
  const report: ProbeReport = { schema: 'ladder.probe/v1', ...result, cSelection: 'fixed', verdict: probeVerdict(result) };
  if (values.json) term.out(`${JSON.stringify(report)}\n`);
  else term.out(formatProbe(report));
  return 0;
}
