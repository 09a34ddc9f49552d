/**
 * The self-contained HTML report (DESIGN section 5, `--html FILE`): one file with inline CSS and
 * inline SVG, no script and no fetch, that opens from disk. Verdict and layer statuses first,
 * then the findings with their evidence, then the plots.
 *
 * Every string from the runs (names, tags, hyperparameter keys and values, series names,
 * evidence) is escaped by escape.ts; plots come from plots.ts, whose text is escaped by the DOM
 * serializer. A Content-Security-Policy that allows no script and no network request guards
 * the file as well.
 */
import type { Diagnosis } from '../ladder/diagnose.js';
import type { EvidenceValue, Finding } from '../ladder/finding.js';
import type { HValue, Run } from '../model/run.js';
import { valueKey } from '../studies/study.js';
import { escapeText } from './escape.js';
import { comparisonFigure, figuresOfDiagnosis, MAX_POINTS_PER_CURVE, type Figure } from './figures.js';
import { renderFigure } from './plots.js';
import { serverDocument } from './server-document.js';

/** Longest text shown for one value; the rest is counted, not printed. */
const MAX_TEXT = 2000;

const CSS = `
body{font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;color:#222;margin:0 auto;max-width:980px;padding:16px 24px 48px}
h1{font-size:20px;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:14px;margin:18px 0 6px}
.muted{color:#666}.mono{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:12.5px}
*{overflow-wrap:anywhere}
.verdict{border-left:6px solid #d62728;background:#fdf2f2;padding:10px 14px;margin:12px 0}.verdict.none{border-color:#2ca02c;background:#f2faf2}
table{border-collapse:collapse;margin:6px 0;width:100%}td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}th{background:#fafafa;font-weight:600}
.status{display:inline-block;min-width:92px;font-weight:600}.pass{color:#2ca02c}.fail{color:#d62728}.inconclusive{color:#b8860b}.gated{color:#888}
.finding{border:1px solid #e4e4e4;border-radius:4px;padding:8px 12px;margin:10px 0}.sev{font-weight:700;text-transform:uppercase;font-size:11px;margin-right:6px}
.error .sev{color:#d62728}.warning .sev{color:#e08a00}.info .sev{color:#7f7f7f}
details summary{cursor:pointer;color:#444}figure{margin:14px 0}figcaption{font-weight:600;margin-bottom:4px}svg{max-width:100%;height:auto}
`;

function text(value: unknown): string {
  const s = String(value);
  return s.length > MAX_TEXT ? `${escapeText(s.slice(0, MAX_TEXT))}<span class="muted">… (${(s.length - MAX_TEXT).toLocaleString('en-US')} more characters)</span>` : escapeText(s);
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return x.toLocaleString('en-US');
  const abs = Math.abs(x);
  return abs !== 0 && (abs < 1e-4 || abs >= 1e6) ? x.toExponential(4) : String(Number(x.toPrecision(5)));
}

function evidenceText(value: EvidenceValue | HValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v) ? Number(v.toPrecision(5)) : v));
}

function keyValueTable(entries: [string, string][], head: [string, string]): string {
  if (entries.length === 0) return '';
  const rows = entries.map(([k, v]) => `<tr><td class="mono">${text(k)}</td><td class="mono">${text(v)}</td></tr>`).join('');
  return `<table><tr><th>${escapeText(head[0])}</th><th>${escapeText(head[1])}</th></tr>${rows}</table>`;
}

function findingHtml(finding: Finding): string {
  const evidence = keyValueTable(
    Object.entries(finding.evidence).map(([k, v]) => [k, evidenceText(v)]),
    ['evidence', 'value'],
  );
  const marks = (finding.marks ?? []).map((m) => `${text(m.label)} <span class="muted">(${text(m.series)}, step ${formatNumber(m.step)})</span>`);
  return `<div class="finding ${finding.severity}">
<div><span class="sev">${finding.severity}</span><span class="mono">${text(finding.code)}</span> <span class="muted">${text(finding.layer)}</span></div>
<p>${text(finding.summary)}</p>
<p><b>Next:</b> ${text(finding.next)}</p>
${marks.length > 0 ? `<p class="muted">Marked on the plots: ${marks.slice(0, 8).join('; ')}${marks.length > 8 ? `; and ${marks.length - 8} more` : ''}</p>` : ''}
<p class="muted">Runs: ${finding.runs.slice(0, 12).map((r) => `<span class="mono">${text(r)}</span>`).join(', ')}${finding.runs.length > 12 ? `, and ${finding.runs.length - 12} more` : ''}</p>
<details><summary>evidence (${Object.keys(finding.evidence).length} values)</summary>${evidence}</details>
</div>`;
}

function figureHtml(figure: Figure): string {
  return `<figure><figcaption>${text(figure.title)}</figcaption>${renderFigure(figure, serverDocument())}</figure>`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(title)}</title><style>${CSS}</style></head>
<body>
${body}
<p class="muted">Generated by ladder. Curves longer than ${MAX_POINTS_PER_CURVE.toLocaleString('en-US')} points are downsampled for display (largest-triangle-three-buckets, each bucket's minimum and maximum kept); findings are computed on every point.</p>
</body></html>
`;
}

function runFacts(run: Run): string {
  const hparams = Object.entries(run.hparams).map(([k, v]) => [k, evidenceText(v)] as [string, string]);
  const tags = Object.entries(run.tags).map(([k, v]) => [k, v] as [string, string]);
  const series = Object.entries(run.series).map(([name, s]) => [name, `${s.values.length.toLocaleString('en-US')} points`] as [string, string]);
  return `<h3>Run <span class="mono">${text(run.id)}</span> <span class="muted">(${text(run.format)})</span></h3>
<p class="muted">Read from: ${run.paths.slice(0, 6).map((p) => `<span class="mono">${text(p)}</span>`).join(', ')}</p>
<details><summary>hyperparameters (${hparams.length})</summary>${keyValueTable(hparams, ['key', 'value'])}</details>
${tags.length > 0 ? `<details><summary>tags (${tags.length})</summary>${keyValueTable(tags, ['tag', 'value'])}</details>` : ''}
<details><summary>series (${series.length})</summary>${keyValueTable(series, ['series', 'logged'])}</details>`;
}

export interface DiagnosisDocument {
  budget: Record<string, { estimate: number | null; low: number | null; high: number | null } | null>;
  ingest: { issues: unknown[] };
}

/** The HTML report of one diagnosis or several (one section each); `json` is each one's ladder.diagnosis/v1 document (budget, ingest issues). */
export function diagnosisReport(items: { diagnosis: Diagnosis; json: DiagnosisDocument }[]): string {
  if (items.length === 0) throw new RangeError('diagnosisReport: nothing to report');
  const title = items.length === 1 ? `ladder: ${items[0]!.diagnosis.subject.id}` : `ladder: ${items.length} runs`;
  const toc =
    items.length > 1
      ? `<h1>ladder report: ${items.length} runs</h1><table><tr><th>run</th><th>verdict</th></tr>${items.map(({ diagnosis: d }, i) => `<tr><td class="mono"><a href="#r${i}">${text(d.subject.id)}</a></td><td>${text(d.verdict.layer)}</td></tr>`).join('')}</table>`
      : '';
  return page(title, toc + items.map(({ diagnosis, json }, i) => `<section id="r${i}">${diagnosisBody(diagnosis, json, items.length > 1)}</section>`).join('\n<hr>\n'));
}

function diagnosisBody(diagnosis: Diagnosis, json: DiagnosisDocument, several: boolean): string {
  const { subject, verdict } = diagnosis;
  const figures = figuresOfDiagnosis(diagnosis, json.budget);
  const formats = [...new Set(subject.runs.map((r) => r.format))].join(', ');
  const heading =
    subject.kind === 'run'
      ? `<h1>ladder report: <span class="mono">${text(subject.id)}</span></h1><p class="muted">one run (${text(formats)})</p>`
      : `<h1>ladder report: study <span class="mono">${text(subject.id)}</span></h1><p class="muted">${subject.runs.length} runs (${text(formats)})${subject.study ? `, ${subject.study.arms.length} arms by ${text(subject.study.scientific.join(', ') || 'no scientific key')}, objective <span class="mono">${text(subject.study.objective.metric)}</span>` : ''}</p>`;
  const verdictHtml = `<div class="verdict ${verdict.layer === 'none' ? 'none' : ''}"><b>Verdict: ${text(verdict.layer)}</b> — ${text(verdict.summary)}${verdict.next.map((n) => `<br><b>Next:</b> ${text(n)}`).join('')}</div>`;
  const layerRows = diagnosis.layers
    .map(
      (l) =>
        `<tr><td>${text(l.layer)}</td><td><span class="status ${l.status}">${l.status}</span></td><td class="mono">${l.findings.map(text).join(', ')}</td><td>${l.experiment ? `to decide: ${text(l.experiment.description)}` : ''}</td></tr>`,
    )
    .join('');
  const layers = `<table><tr><th>layer</th><th>status</th><th>findings</th><th>what would decide it</th></tr>${layerRows}</table>`;
  const findings = diagnosis.findings.length > 0 ? diagnosis.findings.map(findingHtml).join('\n') : '<p class="muted">No findings.</p>';
  let facts = '';
  if (subject.kind === 'study' && subject.study) {
    const rows = subject.study.arms
      .map(
        (arm) =>
          `<tr><td class="mono">${text(arm.label)}</td><td class="mono">${text(arm.best.label)}</td><td>${formatNumber(arm.best.mean)}</td><td>${arm.settings.length}</td><td>${arm.settings.reduce((n, s) => n + s.runs.length, 0)}</td><td class="mono">${text(arm.best.runs.map((r) => valueKey(r.seed)).join(', '))}</td></tr>`,
      )
      .join('');
    facts = `<table><tr><th>arm</th><th>best setting</th><th>best mean</th><th>settings</th><th>runs</th><th>seeds at best</th></tr>${rows}</table>
<p class="muted">Nuisance: <span class="mono">${text(subject.study.nuisance.join(', ') || 'none')}</span>; scientific: <span class="mono">${text(subject.study.scientific.join(', ') || 'none')}</span>.</p>`;
  } else {
    facts = subject.runs.map(runFacts).join('\n');
  }
  const issues = json.ingest.issues.length;
  const body = `${heading}
${verdictHtml}
<h2>Layers</h2>
${layers}
<h2>Findings</h2>
${findings}
<h2>Plots</h2>
${figures.map(figureHtml).join('\n')}
<h2>${subject.kind === 'study' ? 'Arms' : 'Run'}</h2>
${facts}
${issues > 0 ? `<p class="muted">${issues} ingest issue(s) while reading; see <span class="mono">ladder ingest</span>.</p>` : ''}`;
  return several ? body.replace(/<h1>/, '<h1 style="font-size:18px">') : body;
}

/** The HTML report of a `ladder.compare/v1` result. */
export function comparisonReport(result: Parameters<typeof comparisonFigure>[0] & { pairedBy?: string; excluded?: number; seed?: number; resamples?: number }, names: { a: string; b: string }): string {
  const figure = comparisonFigure(result, names);
  const pct = Math.round(figure.confidence * 100);
  const interval = (s: { value: number; low: number | null; high: number | null }) => `${formatNumber(s.value)} [${s.low === null ? 'n/a' : formatNumber(s.low)}, ${s.high === null ? 'n/a' : formatNumber(s.high)}]`;
  const body = `<h1>ladder compare</h1>
<p>A: <span class="mono">${text(names.a)}</span><br>B: <span class="mono">${text(names.b)}</span></p>
<div class="verdict ${result.significant ? '' : 'none'}"><b>The difference is ${result.significant ? '' : 'not '}significant</b> (p = ${formatNumber(result.difference.pValue)}).</div>
<table><tr><th></th><th>${text(result.metric)} with ${pct}% interval</th></tr>
<tr><td>A</td><td>${interval(figure.a)}</td></tr><tr><td>B</td><td>${interval(figure.b)}</td></tr><tr><td>A − B (paired)</td><td>${interval(figure.difference)}</td></tr>
<tr><td>smallest detectable difference</td><td>${formatNumber(result.mde)}</td></tr><tr><td>paired items</td><td>${formatNumber(result.n)}${result.pairedBy ? ` (by ${text(result.pairedBy)})` : ''}</td></tr></table>
${figureHtml(figure)}`;
  return page('ladder compare', body);
}

/** The figures of a report, for `--png`. */
export function reportFigures(diagnosis: Diagnosis, json: DiagnosisDocument): Figure[] {
  return figuresOfDiagnosis(diagnosis, json.budget);
}
