/**
 * Talking to Slurm: every command is spawned with an argv (execFile, never a shell), and every
 * answer is parsed here. Where a finished task's record comes from depends on the cluster:
 * `sacct` when accounting is configured (slurmdbd), else the job completion log when
 * `JobCompType=jobcomp/filetxt` and the log is readable, else `scontrol show job` (which knows
 * finished jobs for `MinJobAge` seconds).
 */
import { execFile } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface SlurmCommands {
  sbatch: string;
  squeue: string;
  scancel: string;
  scontrol: string;
  sacct: string;
}

export const DEFAULT_COMMANDS: SlurmCommands = { sbatch: 'sbatch', squeue: 'squeue', scancel: 'scancel', scontrol: 'scontrol', sacct: 'sacct' };

export class SlurmCommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly code: number | string | null,
  ) {
    const firstLine = stderr.trim().split('\n')[0] ?? '';
    super(`${command} failed${code === 'ENOENT' ? ': not found on PATH (is Slurm installed on this machine?)' : `: ${firstLine || `exit ${code}`}`}`);
    this.name = 'SlurmCommandError';
  }
}

/** Runs `command args` and resolves with stdout; rejects with a SlurmCommandError. */
export function run(command: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as { status?: number }).status ?? null;
        reject(new SlurmCommandError([command, args[0] ?? ''].join(' ').trim(), String(stderr), code));
      } else {
        resolve(String(stdout));
      }
    });
  });
}

/** One array task as squeue shows it. */
export interface QueueRow {
  jobId: string;
  taskIndex: number;
  /** Slurm's job state: PENDING, RUNNING, COMPLETED, NODE_FAIL, … */
  state: string;
  restarts: number;
  reason: string;
}

/** The fields asked of `squeue -O`; Reason last because it may contain anything but a newline. */
export const SQUEUE_FORMAT = 'JobArrayID:0|,State:0|,RestartCnt:0|,Reason:0';

/** Parses `squeue -h -r -O SQUEUE_FORMAT`: only rows of the form `<job>_<index>`. */
export function parseQueue(text: string): QueueRow[] {
  const rows: QueueRow[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+)_(\d+)\|([A-Z_]+)\|(\d+)\|(.*)$/.exec(line.trim());
    if (!match) continue;
    rows.push({ jobId: match[1]!, taskIndex: Number(match[2]), state: match[3]!, restarts: Number(match[4]), reason: match[5]!.trim() });
  }
  return rows;
}

/**
 * The array tasks of `jobIds`, in every state Slurm still remembers (`-t all`). Job ids that
 * Slurm has forgotten are simply absent; any other failure (slurmctld unreachable) rejects.
 */
export async function queueRows(commands: SlurmCommands, jobIds: string[]): Promise<QueueRow[]> {
  if (jobIds.length === 0) return [];
  try {
    return parseQueue(await run(commands.squeue, ['-h', '-r', '-t', 'all', '-j', jobIds.join(','), '-O', SQUEUE_FORMAT]));
  } catch (error) {
    if (error instanceof SlurmCommandError && /invalid job id/i.test(error.stderr)) return [];
    throw error;
  }
}

/** A finished array task as an accounting source records it. */
export interface FinishedRecord {
  jobId: string;
  taskIndex: number;
  state: string;
  exitCode: number;
  /** The signal that ended it, 0 if none. */
  signal: number;
}

/** `sacct -n -P -X -j <ids> --format=JobID,State,ExitCode`. */
export function parseSacct(text: string): FinishedRecord[] {
  const records: FinishedRecord[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+)_(\d+)\|([A-Z_]+)[^|]*\|(\d+):(\d+)\s*$/.exec(line.trim());
    if (!match) continue; // `123_[4-9]` (still pending) and other rows
    records.push({ jobId: match[1]!, taskIndex: Number(match[2]), state: match[3]!, exitCode: Number(match[4]), signal: Number(match[5]) });
  }
  return records;
}

/** Key=Value records, one per line (the job completion log and `scontrol -o show job`). */
export function parseKeyValueRecords(text: string): FinishedRecord[] {
  const records: FinishedRecord[] = [];
  for (const line of text.split('\n')) {
    const arrayJob = /(?:^|\s)ArrayJobId=(\d+)(?=\s|$)/.exec(line);
    const arrayTask = /(?:^|\s)ArrayTaskId=(\d+)(?=\s|$)/.exec(line);
    const state = /(?:^|\s)JobState=([A-Z_]+)/.exec(line);
    // ExitCode is near the end of a completion-log line; take the last match, not DerivedExitCode.
    const exits = [...line.matchAll(/(?:^|\s)ExitCode=(\d+):(\d+)/g)];
    const exit = exits[exits.length - 1];
    if (!arrayJob || !arrayTask || !state || !exit) continue;
    records.push({ jobId: arrayJob[1]!, taskIndex: Number(arrayTask[1]), state: state[1]!, exitCode: Number(exit[1]), signal: Number(exit[2]) });
  }
  return records;
}

/** The cluster settings that decide where finished jobs are read from. */
export interface ClusterConfig {
  accounting: boolean;
  jobCompLog?: string;
}

/** `scontrol show config` → accounting on or off, and the job completion log if it is a file. */
export function parseConfig(text: string): ClusterConfig {
  const value = (key: string) => new RegExp(`^${key}\\s*=\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const storage = value('AccountingStorageType') ?? 'accounting_storage/none';
  const compType = value('JobCompType');
  const compLoc = value('JobCompLoc');
  return {
    accounting: storage !== 'accounting_storage/none',
    ...(compType === 'jobcomp/filetxt' && compLoc ? { jobCompLog: compLoc } : {}),
  };
}

/**
 * Finished-task records for the jobs being tracked, read from the best source the cluster has.
 * The completion log is read incrementally from where the previous call stopped.
 */
export class FinishedRecords {
  private config?: ClusterConfig;
  private logOffset: number;
  private readonly fromLog = new Map<string, FinishedRecord>();

  constructor(
    private readonly commands: SlurmCommands,
    /** Start reading the completion log here (its size at submission); 0 to read it all. */
    logOffset = 0,
  ) {
    this.logOffset = logOffset;
  }

  /** Read the completion log from byte `offset` on (its size when a submission was made). */
  startLogAt(offset: number): void {
    this.logOffset = offset;
  }

  async source(): Promise<ClusterConfig> {
    this.config ??= parseConfig(await run(this.commands.scontrol, ['show', 'config']));
    return this.config;
  }

  /** The current size of the completion log (0 when there is none), to start reading from. */
  static logSize(file: string | undefined): number {
    if (!file) return 0;
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  }

  /** Latest record per `<job>_<index>` among `jobIds`. */
  async read(jobIds: string[]): Promise<Map<string, FinishedRecord>> {
    const wanted = new Set(jobIds);
    const latest = new Map<string, FinishedRecord>();
    const keep = (records: FinishedRecord[]) => {
      for (const record of records) if (wanted.has(record.jobId)) latest.set(`${record.jobId}_${record.taskIndex}`, record);
    };
    if (jobIds.length === 0) return latest;
    const config = await this.source();
    if (config.accounting) {
      keep(parseSacct(await run(this.commands.sacct, ['-n', '-P', '-X', '-j', jobIds.join(','), '--format=JobID,State,ExitCode'])));
      return latest;
    }
    if (config.jobCompLog && this.readLog(config.jobCompLog, wanted)) {
      for (const record of this.fromLog.values()) if (wanted.has(record.jobId)) latest.set(`${record.jobId}_${record.taskIndex}`, record);
      return latest;
    }
    try {
      keep(parseKeyValueRecords(await run(this.commands.scontrol, ['-o', 'show', 'job', jobIds.join(',')])));
    } catch (error) {
      if (!(error instanceof SlurmCommandError && /invalid job id/i.test(error.stderr))) throw error;
    }
    return latest;
  }

  /** Reads new complete lines of the completion log, keeping those of `wanted` jobs; false when it cannot be read. */
  private readLog(file: string, wanted: Set<string>): boolean {
    let descriptor: number;
    try {
      descriptor = openSync(file, 'r');
    } catch {
      return false;
    }
    try {
      const size = statSync(file).size;
      if (size < this.logOffset) this.logOffset = 0; // rotated
      const length = size - this.logOffset;
      if (length <= 0) return true;
      const buffer = Buffer.alloc(length);
      const read = readSync(descriptor, buffer, 0, length, this.logOffset);
      const text = buffer.subarray(0, read).toString('utf8');
      const complete = text.lastIndexOf('\n') + 1;
      this.logOffset += Buffer.byteLength(text.slice(0, complete));
      for (const record of parseKeyValueRecords(text.slice(0, complete))) if (wanted.has(record.jobId)) this.fromLog.set(`${record.jobId}_${record.taskIndex}`, record);
      return true;
    } finally {
      closeSync(descriptor);
    }
  }
}
