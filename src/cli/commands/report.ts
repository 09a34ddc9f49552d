import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnosis } from '../../ladder/diagnose.js';
import type { Figure } from '../../report/figures.js';
import type { DiagnosisDocument } from '../../report/html.js';
import { UsageError } from '../errors.js';
import type { Terminal } from '../terminal.js';
import { diagnoseCommand } from './diagnose.js';

export const reportHelp = `Usage: ladder report PATH... --html FILE [--png DIR] [diagnose options]

The report of \`ladder diagnose\` as one self-contained HTML file (inline SVG plots and CSS,
no script, no network access; opens from disk): the verdict and each layer's status, the
findings with their evidence, every series with the findings marked where they happen, the
extrapolated tail of a run that is not converged, the degradation budget, and for studies
each arm's tuned best with its interval, sweep curves with their edges, ablation effects and
probe values per concept family. Same as \`ladder diagnose PATH... --html FILE\`.

Options:
  --html FILE   write the HTML report to FILE (its folder must exist)
  --png DIR     also write one PNG per plot into DIR (created when missing); the font is
                shipped with ladder, so the images are the same on every machine
  Every option of \`ladder diagnose\` (see \`ladder diagnose --help\`).
  -h, --help    show this help
`;

/** Refuses an output file whose folder is missing or which is a folder, before any work is done. */
export function checkOutputFile(file: string, flag: string): string {
  if (file === '' || file.endsWith('/') || file.endsWith(path.sep)) throw new UsageError(`${flag} needs a file name (got '${file}')`);
  const resolved = path.resolve(file);
  const dir = path.dirname(resolved);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag} ${file}: the folder ${dir} does not exist; create it or choose another path`);
  if (existsSync(resolved) && statSync(resolved).isDirectory()) throw new UsageError(`${flag} ${file} is a folder; give a file name, e.g. ${path.join(file, 'report.html')}`);
  return resolved;
}

/** Refuses an output folder that exists as a file. */
export function checkOutputDir(dir: string, flag: string): string {
  const resolved = path.resolve(dir);
  if (existsSync(resolved) && !statSync(resolved).isDirectory()) throw new UsageError(`${flag} ${dir} is a file; give a folder for the PNGs`);
  return resolved;
}

function failWrite(target: string, error: unknown): never {
  throw new UsageError(`cannot write '${target}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; check the path and its permissions`);
}

export function writeHtmlFile(file: string, html: string, term: Terminal): void {
  try {
    writeFileSync(file, html);
  } catch (error) {
    failWrite(file, error);
  }
  term.err(`ladder: report written to ${file} (${(Buffer.byteLength(html) / 1024).toFixed(0)} kB)\n`);
}

// The plotting and PNG modules (Observable Plot, linkedom, resvg) load only when a report is
// asked for: a plain `ladder diagnose` does not pay for them.
export async function writePngFiles(dir: string, figures: Figure[], term: Terminal, prefix = ''): Promise<void> {
  const { writePngs } = await import('../../report/png.js');
  let written: string[];
  try {
    written = writePngs(dir, figures, prefix);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
    failWrite(dir, error);
  }
  term.err(`ladder: ${written.length} PNG(s) written to ${dir}\n`);
}

/** Writes the HTML report and the PNGs of diagnoses, as `--html` and `--png` ask. */
export async function writeDiagnosisOutputs(items: { diagnosis: Diagnosis; json: DiagnosisDocument }[], outputs: { html?: string; png?: string }, term: Terminal): Promise<void> {
  if (outputs.html === undefined && outputs.png === undefined) return;
  const { diagnosisReport, reportFigures } = await import('../../report/html.js');
  if (outputs.html !== undefined) writeHtmlFile(outputs.html, diagnosisReport(items), term);
  if (outputs.png !== undefined) {
    const figures = items.flatMap(({ diagnosis, json }, i) => reportFigures(diagnosis, json).map((figure) => ({ figure, run: i })));
    // One prefix per run when there are several, so that their PNGs do not overwrite each other.
    if (items.length === 1) await writePngFiles(outputs.png, figures.map((f) => f.figure), term);
    else for (let i = 0; i < items.length; i++) await writePngFiles(outputs.png, figures.filter((f) => f.run === i).map((f) => f.figure), term, `run${String(i + 1).padStart(2, '0')}-`);
  }
}

export async function reportCommand(args: string[], term: Terminal): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    term.out(reportHelp);
    return 0;
  }
  if (!args.some((a) => a === '--html' || a.startsWith('--html=') || a === '--png' || a.startsWith('--png='))) {
    throw new UsageError('report needs --html FILE (and/or --png DIR), e.g. `ladder report runs/ --html report.html`');
  }
  return diagnoseCommand(args, term);
}
