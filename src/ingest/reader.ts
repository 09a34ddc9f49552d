/**
 * The contract between the ingest pipeline and one reader (one file per format under
 * `readers/`, gathered in `registry.ts`).
 *
 * Ingest works in two phases:
 *   walk   → every file under the given paths becomes a FileEntry in a pool;
 *   claim  → readers, in registry order, take the files they recognize (by layout, name or
 *            content — never by name alone when content can decide) and group them into
 *            claims, one claim per run (or per set of runs read together);
 *   read   → each claim is read into Runs; problems go to the issue sink, never thrown.
 * A file claimed by one reader is not offered to the next.
 */
import type { Format, Run } from '../model/run.js';
import type { IssueSink } from './issues.js';

export interface FileEntry {
  /** Absolute path. */
  path: string;
  /** Path relative to the ingest root, with forward slashes (used in ids and issues). */
  rel: string;
  /** Base name. */
  name: string;
  /** Absolute path of the containing folder. */
  dir: string;
  size: number;
}

export interface FilePool {
  /** Files not yet claimed, in a stable order (sorted by path). */
  files(): readonly FileEntry[];
  /** Unclaimed files directly inside a folder. */
  inDir(dir: string): readonly FileEntry[];
  /** The first bytes of a file (at most `bytes`, default 4096), cached; empty on read errors. */
  head(file: FileEntry, bytes?: number): Promise<Buffer>;
}

export interface Claim {
  format: Format;
  /** The folder that identifies the run(s); the run id is derived from it. */
  dir: string;
  files: FileEntry[];
  /** Reader-private details decided during claiming (e.g. which file is the main one). */
  detail?: Record<string, unknown>;
}

export interface ReadContext {
  /** The root the ingest was started from (ids and issue paths are relative to it). */
  root: string;
  /** Report a problem: never throw for bad input. */
  issue: IssueSink;
  /** Suggests an id for a run read from `dir` (unique within the ingest). */
  runId(dir: string, suffix?: string): string;
  /** Progress in bytes for long reads (the CLI shows it on a TTY). */
  progress?: (file: string, bytesDone: number, bytesTotal: number) => void;
}

export interface Reader {
  format: Format;
  /** One line for `ladder ingest --help` and docs. */
  description: string;
  claim(pool: FilePool): Promise<Claim[]>;
  read(claim: Claim, context: ReadContext): Promise<Run[]>;
}
