import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_STORE } from '../../experiments/store.js';
import { ingest } from '../../ingest/ingest.js';
import { Catalog, type DirRuns } from '../../serve/catalog.js';
import { ServeRefused, startServer } from '../../serve/server.js';
import { isLoopbackHost } from '../../serve/security.js';
import { UsageError } from '../errors.js';
import { readingProgress, type Terminal } from '../terminal.js';
import { openStoreOrFail } from './run.js';

export const DEFAULT_PORT = 8737;

export const serveHelp = `Usage: ladder serve [--store FILE] [--dir PATH] [--port N] [--host H --token T]

A local dashboard in the browser: the studies of the experiment store (trials, state, verdict,
findings), the runs with their verdicts, each run's findings and plots, and two runs side by
side with only the hyperparameters that differ. It updates live while \`ladder run\` works.
Runs are diagnosed when first opened (runs under --dir in the background) and kept in memory.

Options:
  --store FILE   the SQLite store (default ./${DEFAULT_STORE}; optional when --dir is given)
  --dir PATH     also list the runs found under PATH (any format \`ladder ingest\` reads)
  --port N       the port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host H       the address to bind (default 127.0.0.1). Any other than loopback needs --token
  --token T      every request must carry it (Authorization: Bearer T, or open /?token=T once,
                 which sets an HttpOnly cookie)
  -h, --help     show this help

Stop it with Ctrl-C.
`;

export async function serveCommand(args: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      store: { type: 'string' },
      dir: { type: 'string' },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    term.out(serveHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments (got ${positionals[0]}); pass runs with --dir PATH and the store with --store FILE`);
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port!) || port > 65535) throw new UsageError(`--port takes a number from 0 to 65535 (got ${values.port})`);
  const host = values.host!;
  const token = values.token;
  if (token !== undefined && !/^[\x21-\x7e]{8,}$/.test(token)) throw new UsageError('--token needs at least 8 printable characters without spaces');
  if (!isLoopbackHost(host) && token === undefined) throw new UsageError(`--host ${host} is reachable from other machines; pass --token T as well, or bind to 127.0.0.1`);

  const storeFile = values.store ?? DEFAULT_STORE;
  const storeExists = existsSync(storeFile);
  if (values.store !== undefined && !storeExists) throw new UsageError(`--store ${storeFile}: no such store; run a plan with \`ladder run PLAN\` first, or leave --store out and pass --dir PATH`);
  if (!storeExists && values.dir === undefined) throw new UsageError(`${storeFile}: no store here; run a plan with \`ladder run PLAN\` first, or pass --store FILE or --dir PATH`);

  let dir: DirRuns | undefined;
  if (values.dir !== undefined) {
    const root = path.resolve(values.dir);
    if (!existsSync(root)) throw new UsageError(`--dir ${values.dir}: no such file or folder`);
    const progress = readingProgress(term, false);
    const result = await ingest([root], progress ? { progress } : {});
    term.clearProgress();
    dir = { root: statSync(root).isDirectory() ? root : path.dirname(root), runs: result.runs, issues: result.issues };
    term.err(`ladder: ${result.runs.length} run(s) found under ${values.dir}\n`);
  }
  const catalog = new Catalog(storeExists ? openStoreOrFail(storeFile) : undefined, dir);
  let server;
  try {
    server = await startServer(token !== undefined ? { catalog, host, port, token } : { catalog, host, port });
  } catch (error) {
    catalog.close();
    if (error instanceof ServeRefused) throw new UsageError(error.message);
    throw error;
  }
  term.out(`ladder: dashboard at ${server.url}${token !== undefined ? ' (open it once with ?token=T)' : ''}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  catalog.close();
  return 0;
}
