/** The `ladder.diagnosis/v1` contract (DESIGN section 5), and the `ladder.diagnoses/v1` wrapper. */
import type { IngestIssue } from '../ingest/issues.js';
import { jsonNumber } from '../ingest/to-json.js';
import type { Diagnosis } from './diagnose.js';
import type { EvidenceValue } from './finding.js';
import { LAYERS } from './layers.js';
import { studySummary } from '../studies/diagnose-study.js';

export const DIAGNOSIS_SCHEMA = 'ladder.diagnosis/v1';
export const DIAGNOSES_SCHEMA = 'ladder.diagnoses/v1';

/** Evidence as JSON: non-finite numbers as the ingest contract writes them. */
export function evidenceToJson(value: EvidenceValue): unknown {
  if (typeof value === 'number') return jsonNumber(value);
  if (Array.isArray(value)) return value.map(evidenceToJson);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evidenceToJson(v)]));
  return value;
}

export function diagnosisToJson(diagnosis: Diagnosis, issues: IngestIssue[], path?: string) {
  const { subject } = diagnosis;
  const paths = new Set(subject.runs.flatMap((run) => run.paths));
  const own = issues.filter((issue) => paths.has(issue.file));
  const first = subject.runs[0]!;
  return {
    schema: DIAGNOSIS_SCHEMA,
    subject: {
      path: path ?? first.paths[0] ?? first.id,
      ...(subject.kind === 'run' ? { run: first.id } : { study: studySummary(subject.study!), runIds: subject.runs.map((run) => run.id) }),
      runs: subject.runs.length,
      formats: [...new Set(subject.runs.map((run) => run.format))],
    },
    verdict: diagnosis.verdict,
    layers: diagnosis.layers.map((l) => ({
      layer: l.layer,
      status: l.status,
      findings: l.findings,
      ...(l.unknown.length > 0 ? { unknown: l.unknown } : {}),
      ...(l.experiment ? { experiment: l.experiment } : {}),
    })),
    findings: diagnosis.findings.map((f) => ({ ...f, evidence: evidenceToJson(f.evidence) })),
    // A single run cannot size the degradation terms; each is unknown until the experiment
    // its layer names has run (studies and the lab fill these in).
    budget: Object.fromEntries(LAYERS.map((layer) => [layer, { estimate: null, low: null, high: null }])),
    ingest: { issues: own.map(({ data: _data, ...rest }) => rest) },
  };
}
