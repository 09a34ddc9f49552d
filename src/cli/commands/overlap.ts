import { parseArgs } from 'node:util';
import { ContaminationInputError, detectContamination, type ContaminationResult } from '../../observation/contamination-files.js';
import { UsageError } from '../errors.js';
import { paint, table, type Terminal } from '../terminal.js';

export const overlapHelp = `Usage: ladder overlap --train PATH... --eval FILE [--n 13] [--json]

Checks every eval item against a training corpus, which is streamed (any size, bounded
memory). Text is normalized as lm-evaluation-harness's decontamination does (lowercase,
ASCII punctuation removed, split on whitespace). Per item:
  n-gram overlap   share of its n-grams (13 by default, as GPT-3) seen in training; any flags it
  8-gram share     share of its 8-grams seen in training; ≥ 70 % flags it (PaLM's rule)
  exact duplicate  a training record with the same normalized text
  near duplicate   a training record with MinHash-estimated Jaccard ≥ 0.8 (5-word shingles,
                   128 hash functions, seed 0, LSH bands)

Files: JSONL with a "text" field per record (eval records may carry an "id"), or plain text
with one record per line. A folder given to --train is read recursively.

Options:
  --train PATH   training text file or folder (repeatable; several paths may follow)
  --eval FILE    the eval items
  --n N          n-gram length for the overlap check (default 13)
  --json         print ladder.contamination/v1
  -h, --help     show this help
`;

export const CONTAMINATION_SCHEMA = 'ladder.contamination/v1';

export function contaminationToJson(result: ContaminationResult): unknown {
  const { report, training } = result;
  const { settings } = report;
  return {
    schema: CONTAMINATION_SCHEMA,
    n: settings.n,
    shareN: settings.shareN,
    shareThreshold: settings.shareThreshold,
    nearDuplicate: {
      shingle: settings.shingle,
      numPerm: settings.numPerm,
      seed: settings.seed,
      jaccardThreshold: settings.jaccardThreshold,
      bands: settings.lsh.bands,
      rows: settings.lsh.rows,
    },
    eval: { file: result.evalFile, format: result.evalFormat, items: report.items.length },
    training: { files: training, records: report.training.records, tokens: report.training.tokens },
    items: report.items.map((item) => ({
      id: item.id,
      tokens: item.tokens,
      ngram13Overlap: item.ngramOverlap,
      ngram8Share: item.ngramShare,
      contaminated: item.contaminated,
      exactDuplicate: item.exactDuplicate,
      nearDuplicate: item.nearDuplicate,
      jaccard: item.jaccard,
      duplicateOf: item.duplicateOf,
    })),
    contaminated: report.contaminated,
    counts: report.counts,
  };
}

const percent = (value: number | null) => (value === null ? '—' : `${(100 * value).toFixed(1)}%`);

function formatContamination(result: ContaminationResult, term: Pick<Terminal, 'color'>): string {
  const { report, training } = result;
  const { settings, counts } = report;
  const rows = report.items.map((item) => {
    const reasons = [
      item.overlapFlag ? `${settings.n}-gram` : '',
      item.shareFlag ? `8-gram≥${settings.shareThreshold * 100}%` : '',
      item.exactDuplicate ? 'exact' : item.nearDuplicate ? `near (J≈${item.jaccard!.toFixed(2)})` : '',
    ].filter(Boolean);
    const where = item.duplicateOf ? ` ${item.duplicateOf.file}:${item.duplicateOf.line}` : '';
    return [
      item.id,
      percent(item.ngramOverlap),
      percent(item.ngramShare),
      item.contaminated ? paint(term, 'red', `${reasons.join(', ')}${where}`) : paint(term, 'green', 'clean'),
    ];
  });
  const bytes = training.reduce((sum, file) => sum + file.bytes, 0);
  let text = `${result.evalFile}: ${report.items.length} items against ${training.length} training file(s), ${(bytes / 1e6).toFixed(1)} MB, ${report.training.records} records\n\n`;
  text += table(['item', `${settings.n}-gram`, '8-gram', 'verdict'], rows);
  const verdict = `${report.contaminated} of ${report.items.length} items contaminated`;
  text += `\n${report.contaminated > 0 ? paint(term, 'red', verdict) : paint(term, 'green', verdict)}`;
  text += ` (${settings.n}-gram overlap ${counts.overlap}, 8-gram ≥ ${settings.shareThreshold * 100}% ${counts.share}, exact duplicates ${counts.exactDuplicate}, near duplicates ${counts.nearDuplicate})\n`;
  if (counts.tooShort > 0) text += `${counts.tooShort} item(s) shorter than ${settings.n} tokens: only the 8-gram and duplicate checks apply to them\n`;
  for (const file of training) {
    if (file.skipped > 0) {
      text += paint(term, 'yellow', `${file.file}: ${file.skipped} JSONL record(s) without a "text" string skipped (first at line ${file.firstSkippedLine})`) + '\n';
    }
  }
  return text;
}

export async function overlapCommand(args: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      train: { type: 'string', multiple: true, default: [] },
      eval: { type: 'string' },
      n: { type: 'string', default: '13' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(overlapHelp);
    return 0;
  }
  // `--train a.txt b.txt` reads naturally: paths after the flags count as training paths too
  const train = [...(values.train ?? []), ...positionals];
  if (train.length === 0) throw new UsageError('overlap needs --train PATH (the training text), e.g. `ladder overlap --train corpus.txt --eval test.jsonl`');
  if (values.eval === undefined) throw new UsageError('contamination needs --eval FILE (the eval items, JSONL with "text" or one per line)');
  const n = Number(values.n);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--n takes a whole number from 1 to 64 (got ${values.n})`);
  const json = values.json ?? false;
  let result: ContaminationResult;
  try {
    result = await detectContamination(train, values.eval, {
      n,
      onProgress: json
        ? undefined
        : (file, done, total) =>
            term.progress(`scanning ${file} ${total > 0 ? Math.round((100 * done) / total) : 0}% (${(done / 1e6).toFixed(0)}/${(total / 1e6).toFixed(0)} MB)`),
    });
  } catch (error) {
    if (error instanceof ContaminationInputError) throw new UsageError(error.message);
    throw error;
  } finally {
    term.clearProgress();
  }
  term.out(json ? JSON.stringify(contaminationToJson(result)) + '\n' : formatContamination(result, term));
  return 0;
}
