/**
 * Ingest issues are data: a stable `code`, a severity, where (file and location) and the
 * numbers that explain it. Their wording lives here and nowhere else; tests assert codes.
 *
 * Severity: `error` — data in the file was lost or the file could not be read;
 * `warning` — data was read but something about it needs attention (a restart, a Python
 * tag kept opaque); `info` — worth knowing, nothing lost (non-finite values, a truncated
 * tail of a file still being written).
 */

export type Severity = 'error' | 'warning' | 'info';
export type IssueData = Record<string, string | number | boolean | undefined>;

interface IssueSpec {
  severity: Severity;
  text: (d: IssueData) => string;
}

const n = (value: unknown) => (typeof value === 'number' ? value.toLocaleString('en-US') : String(value));

export const ISSUES = {
  // Files and folders
  'file.missing': { severity: 'error', text: () => 'no such file or folder; check the path' },
  'file.unreadable': {
    severity: 'error',
    text: (d) => `cannot be read (${d.reason ?? 'I/O error'}); check its permissions`,
  },
  'file.empty': { severity: 'warning', text: () => 'empty file: nothing to read' },
  'file.symlink-loop': {
    severity: 'warning',
    text: (d) => `symbolic link loops back to ${d.target ?? 'an ancestor'}; not followed again`,
  },
  'file.unrecognized': {
    severity: 'info',
    text: (d) =>
      `${n(d.count)} file(s) in this folder match no known format (e.g. ${d.example}); skipped. ` +
      'Name the format in ladder.yaml or convert to CSV/JSONL if they hold runs',
  },
  'file.claimed-twice': { severity: 'info', text: (d) => `also matches ${d.other}; read as ${d.format}` },

  // JSON
  'json.invalid': {
    severity: 'error',
    text: (d) => `not valid JSON (${d.reason}); ${d.recovered ? 'read up to the error' : 'nothing could be read'}`,
  },
  'json.truncated': {
    severity: 'error',
    text: (d) => `JSON ends early at byte ${n(d.offset)} (file cut off?); ${n(d.kept ?? 0)} complete entries kept`,
  },
  'json.non-standard-number': {
    severity: 'info',
    text: (d) => `${n(d.count)} NaN/Infinity literal(s) (Python json); read as non-finite numbers`,
  },
  'jsonl.bad-line': {
    severity: 'warning',
    text: (d) => `${n(d.count)} line(s) are not valid JSON objects (first at line ${n(d.line)}); skipped`,
  },
  'jsonl.no-step-key': {
    severity: 'info',
    text: () => 'records have no step key (step, global_step, iteration, iter, _step, epoch); numbered from 0',
  },

  // Series, checked once for every format
  'series.restart': {
    severity: 'warning',
    text: (d) =>
      `series "${d.series}" goes back from step ${n(d.from)} to ${n(d.to)} (a resumed run?); both segments kept`,
  },
  'series.duplicate-step': {
    severity: 'warning',
    text: (d) => `series "${d.series}" has ${n(d.count)} repeated step(s) (first: step ${n(d.step)}); all points kept`,
  },
  'series.repeated-point': {
    severity: 'info',
    text: (d) =>
      `series "${d.series}" logs the same value twice at ${n(d.count)} step(s) (first: step ${n(d.step)}), ` +
      'e.g. a final evaluation at the last checkpoint step; all points kept',
  },
  'series.non-finite': {
    severity: 'info',
    text: (d) => `series "${d.series}" has ${n(d.count)} non-finite value(s) (first at step ${n(d.step)}); kept`,
  },
  'series.non-numeric': {
    severity: 'warning',
    text: (d) =>
      `series "${d.series}" has ${n(d.count)} value(s) that are not numbers (first: ${d.example} at ${d.at}); ` +
      'those points are not in the series',
  },
  'series.missing-step': {
    severity: 'info',
    text: (d) => `${n(d.count)} point(s) of "${d.series}" carry no step; ${d.assumed ?? 'numbered by position'}`,
  },
  'series.text-only': {
    severity: 'info',
    text: (d) => `${n(d.count)} field(s) hold only text, never a number (${d.fields}); not read as series`,
  },

  // TFRecord / TensorBoard
  'tfrecord.truncated-tail': {
    severity: 'info',
    text: (d) => `last record is incomplete (${n(d.bytes)} trailing bytes): the run may still be writing; ignored`,
  },
  'tfrecord.corrupt-record': {
    severity: 'error',
    text: (d) =>
      `corrupt record at byte ${n(d.offset)} (${d.reason}); skipped ${n(d.skipped)} bytes to the next valid record`,
  },
  'tfrecord.not-tfrecord': {
    severity: 'error',
    text: () => 'named like a TensorBoard event file but holds no valid TFRecord; nothing read',
  },
  'tensorboard.bad-event': {
    severity: 'warning',
    text: (d) => `record ${n(d.record)} is not a valid Event protobuf (${d.reason}); skipped`,
  },
  'tensorboard.non-scalar': {
    severity: 'info',
    text: (d) => `${n(d.count)} ${d.kind} summary value(s) for "${d.tag}" kept as a non-scalar series`,
  },
  'tensorboard.unsupported-tensor': {
    severity: 'info',
    text: (d) => `tensor summary "${d.tag}" (dtype ${d.dtype}, ${d.shape}) is not a scalar; counted as non-scalar`,
  },

  // YAML
  'yaml.invalid': { severity: 'error', text: (d) => `not valid YAML (${d.reason}); ignored` },
  'yaml.python-tag': {
    severity: 'warning',
    text: (d) =>
      `${n(d.count)} Python object tag(s) (e.g. ${d.tag}) kept as opaque values, never executed`,
  },

  // CSV
  'csv.invalid': { severity: 'error', text: (d) => `not a readable CSV (${d.reason}); nothing read` },
  'csv.ragged-row': {
    severity: 'warning',
    text: (d) => `${n(d.count)} row(s) have a different number of fields than the header (first at line ${n(d.line)})`,
  },
  'csv.bad-record': {
    severity: 'error',
    text: (d) => `${n(d.count)} record(s) could not be parsed (first at line ${n(d.line)}: ${d.reason}); skipped`,
  },
  'csv.truncated-row': {
    severity: 'info',
    text: (d) =>
      `last row ends without a line break after ${n(d.fields)} of ${n(d.expected)} fields (cut off while being ` +
      'written?); its complete cells kept, the possibly cut last one dropped',
  },
  'csv.no-step-column': {
    severity: 'info',
    text: () => 'no step column (step, global_step, iteration, epoch…); rows numbered from 0',
  },
  'csv.stopped': {
    severity: 'error',
    text: (d) => `cannot parse past line ${n(d.line)} (${d.reason}); the ${n(d.kept)} row(s) before it were read`,
  },

  // Hugging Face Trainer
  'hf.not-trainer-state': {
    severity: 'error',
    text: (d) => `JSON without a log_history list (${d.reason}); not a trainer_state file`,
  },
  'hf.checkpoint-superseded': {
    severity: 'info',
    text: (d) => `checkpoint state superseded by the final ${d.final}; read that instead`,
  },
  'hf.bad-log-entry': {
    severity: 'warning',
    text: (d) =>
      `${n(d.count)} log_history entr(y/ies) are not objects or lack a step (first at index ${n(d.index)}); ` +
      'non-objects skipped, entries without a step read at the step of the entry before',
  },

  // MLflow
  'mlflow.bad-line': {
    severity: 'warning',
    text: (d) => `${n(d.count)} metric line(s) are not "timestamp value step" (first at line ${n(d.line)}); skipped`,
  },
  'mlflow.no-meta': { severity: 'warning', text: () => 'run folder has no meta.yaml; read metrics and params anyway' },

  // Weights & Biases
  'wandb.corrupt-block': {
    severity: 'error',
    text: (d) => `corrupt record at byte ${n(d.offset)} (${d.reason}); resumed at the next block`,
  },
  'wandb.bad-header': {
    severity: 'error',
    text: (d) => `not a W&B transaction log (${d.reason}); nothing read`,
  },
  'wandb.bad-record': {
    severity: 'warning',
    text: (d) => `${n(d.count)} record(s) could not be decoded (${d.reason}); skipped`,
  },
  'wandb.truncated-tail': {
    severity: 'info',
    text: (d) =>
      `last record is incomplete (${n(d.bytes)} trailing bytes from byte ${n(d.offset)}): ` +
      'the run may still be writing or was killed; ignored',
  },
  'wandb.non-scalar': {
    severity: 'info',
    text: (d) => `${n(d.count)} ${d.kind} value(s) logged as "${d.key}" kept as a non-scalar series`,
  },
  'wandb.csv-unpaired-column': {
    severity: 'warning',
    text: (d) =>
      `${n(d.count)} column(s) are not "<run> - <metric>" columns (first: "${d.example}"); not read`,
  },

  // lm-evaluation-harness
  'lm-eval.unknown-layout': {
    severity: 'warning',
    text: (d) => `results JSON in an unknown layout (${d.reason}); read what was recognizable`,
  },

  // Per-example results
  'npy.invalid': { severity: 'error', text: (d) => `not a readable .npy array (${d.reason}); nothing read` },
  'examples.mismatch': {
    severity: 'warning',
    text: (d) => `${d.what}: ${n(d.got)} items where ${n(d.expected)} were expected; not paired`,
  },
  'examples.ignored-fields': {
    severity: 'info',
    text: (d) =>
      `${n(d.count)} field(s) of "${d.set}" hold text or lists, not per-example numbers (${d.fields}); not kept`,
  },
  'npy.not-per-example': {
    severity: 'info',
    text: (d) =>
      `array of shape (${d.shape}) ${d.descr} is not per-example data (n×K probabilities or one value per example); not read`,
  },
  'npy.not-probabilities': {
    severity: 'warning',
    text: (d) =>
      `read as class probabilities, but row ${n(d.row)} sums to ${d.sum} (logits or scores?); apply a softmax before ` +
      'label checks',
  },

  // Configuration
  'config.invalid': {
    severity: 'error',
    text: (d) => `ladder.yaml is invalid (${d.reason}); using the default conventions`,
  },
  'config.unknown-series': {
    severity: 'warning',
    text: (d) => `ladder.yaml maps role ${d.role} to "${d.series}", which run ${d.run} does not have`,
  },
} as const satisfies Record<string, IssueSpec>;

export type IssueCode = keyof typeof ISSUES;

export interface IngestIssue {
  code: IssueCode;
  severity: Severity;
  file: string;
  location?: string;
  message: string;
  data?: IssueData;
}

export function makeIssue(code: IssueCode, file: string, location?: string, data: IssueData = {}): IngestIssue {
  const spec: IssueSpec = ISSUES[code];
  const issue: IngestIssue = { code, severity: spec.severity, file, message: spec.text(data) };
  if (location !== undefined) issue.location = location;
  if (Object.keys(data).length > 0) issue.data = data;
  return issue;
}

export type IssueSink = (code: IssueCode, file: string, location?: string, data?: IssueData) => void;
