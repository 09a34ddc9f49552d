/**
 * The `ladder` command: parses the command name and hands the rest to the command, which
 * calls the library. Errors a user can fix are one line on stderr with a non-zero exit;
 * anything else is reported as an internal error, with the stack only under LADDER_DEBUG.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';
import { nodeTerminal, type Terminal } from './terminal.js';

/**
 * A command is loaded when it runs: `ladder diagnose` does not pay for the lab's training
 * engine, the dashboard's server or SQLite (start-up time and memory of every invocation).
 */
interface Command {
  summary: string;
  load(): Promise<(args: string[], term: Terminal) => Promise<number>>;
}

const COMMANDS = {
  compare: { summary: 'is the difference between two systems on the same items real (paired tests, power)', load: async () => (await import('./commands/compare.js')).compareCommand },
  overlap: { summary: 'contamination: n-gram overlap and near duplicates between eval items and training text', load: async () => (await import('./commands/overlap.js')).overlapCommand },
  diagnose: { summary: 'name the first layer each run fails, with evidence and the next action', load: async () => (await import('./commands/diagnose.js')).diagnoseCommand },
  ingest: { summary: 'read runs from any supported format and show what was found', load: async () => (await import('./commands/ingest.js')).ingestCommand },
  'label-issues': { summary: 'find probably mislabelled examples by confident learning', load: async () => (await import('./commands/label-issues.js')).labelIssuesCommand },
  report: { summary: 'the diagnosis as one self-contained HTML report with plots (--html FILE), and PNGs (--png DIR)', load: async () => (await import('./commands/report.js')).reportCommand },
  probe: { summary: 'does the hidden representation encode a label the output hides (linear probe, control task)', load: async () => (await import('./commands/probe.js')).probeCommand },
  seeds: { summary: 'how much of a result is the seed: spread, gap vs seed noise, P(A > B), expected best of N', load: async () => (await import('./commands/seeds.js')).seedsCommand },
  scaling: { summary: 'scaling law L = E + A/N^α + B/D^β: floor, exponents, value of 2× data or parameters', load: async () => (await import('./commands/scaling.js')).scalingCommand },
  run: { summary: 'run the experiment a plan describes (local or Slurm), then diagnose its trials as a study', load: async () => (await import('./commands/run.js')).runCommand },
  plan: { summary: 'write a plan for the experiment a diagnosis names (ladder plan PATH -o plan.yaml -- COMMAND)', load: async () => (await import('./commands/plan.js')).planCommand },
  status: { summary: 'the studies in the experiment store: trials done/running/failed, verdicts', load: async () => (await import('./commands/status.js')).statusCommand },
  serve: { summary: 'a local dashboard in the browser: studies, runs, findings and plots, live while a study runs', load: async () => (await import('./commands/serve.js')).serveCommand },
  lab: { summary: 'worlds with a known Bayes loss, faults at each layer, graded verdicts and budgets (the tour with no arguments)', load: async () => (await import('./commands/lab.js')).labCommand },
} satisfies Record<string, Command>;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: ladder <command> [options]

ladder tells you which rung of the ladder your model fell from: observation, reachability,
instantiation or perception.

Commands:
${lines.join('\n')}

Run \`ladder <command> --help\` for a command's options.
`;
}

export async function main(argv: string[], term: Terminal = nodeTerminal()): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      term.out(usage());
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-v') {
      term.out(`${version()}\n`);
      return 0;
    }
    const command = (COMMANDS as Record<string, Command>)[name];
    if (!command) throw new UsageError(`unknown command: ${name} (known: ${Object.keys(COMMANDS).join(', ')})`);
    const run = await command.load();
    return await run(rest, term);
  } catch (error) {
    term.clearProgress();
    if (error instanceof UsageError) {
      term.err(`ladder: ${error.message}\n`);
      return error.exitCode;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      term.err(`ladder: ${(error as Error).message.split('\n')[0]} (see \`ladder ${name} --help\`)\n`);
      return 2;
    }
    term.err(`ladder: internal error: ${(error as Error).message} (set LADDER_DEBUG=1 for details, and please report it)\n`);
    if (process.env.LADDER_DEBUG) term.err(`${(error as Error).stack}\n`);
    return 70;
  }
}
