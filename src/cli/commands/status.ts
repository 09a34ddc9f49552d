import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_STORE } from '../../experiments/store.js';
import { UsageError } from '../errors.js';
import { table, type Terminal } from '../terminal.js';
import { openStoreOrFail } from './run.js';

export const statusHelp = `Usage: ladder status [--store FILE] [--json]

Lists the studies in the store: state, trials done/running/queued/failed/cancelled, the
verdict of the last diagnosis, and the study folder.

Options:
  --store FILE   the SQLite store (default ./${DEFAULT_STORE})
  --json         print ladder.status/v1
  -h, --help     show this help
`;

export async function statusCommand(args: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      store: { type: 'string', default: DEFAULT_STORE },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(statusHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`status takes no arguments (got ${positionals[0]}); pick the store with --store FILE`);
  const file = values.store!;
  if (!existsSync(file)) throw new UsageError(`${file}: no store here; run a plan with \`ladder run PLAN\` first, or pass --store FILE`);
  const store = openStoreOrFail(file);
  try {
    const studies = store.studies().map((study) => {
      const counts = store.counts(study.id);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      return { study, counts, total, findings: store.findings(study.id) };
    });
    if (values.json) {
      term.out(
        `${JSON.stringify({
          schema: 'ladder.status/v1',
          store: file,
          studies: studies.map(({ study, counts, total, findings }) => ({
            id: study.id,
            name: study.name,
            dir: study.dir,
            state: study.state,
            executor: study.executor,
            trials: { total, ...counts },
            verdict: study.verdict,
            findings: findings.map((f) => f.code),
            updatedAt: study.updated_at,
          })),
        })}\n`,
      );
      return 0;
    }
    if (studies.length === 0) {
      term.out(`${file}: no studies yet\n`);
      return 0;
    }
    const rows = studies.map(({ study, counts, total }) => [
      study.name,
      study.state,
      `${counts.done}/${total}`,
      String(counts.running),
      String(counts.pending + counts.submitted),
      String(counts.failed),
      String(counts.cancelled),
      study.verdict ?? '-',
      study.dir,
    ]);
    term.out(table(['study', 'state', 'done', 'running', 'queued', 'failed', 'cancelled', 'verdict', 'folder'], rows));
    return 0;
  } finally {
    store.close();
  }
}
