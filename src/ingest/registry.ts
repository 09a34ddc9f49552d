/**
 * The readers, in claiming order: layouts that are unambiguous by structure first (MLflow
 * run folders, W&B run folders), then content-sniffed JSON (Trainer state before
 * lm-eval results), binary event files, and the generic CSV / JSONL / .npy readers last so
 * that they only take what no specific reader recognized.
 */
import type { Format } from '../model/run.js';
import type { Reader } from './reader.js';
import { hfTrainerReader } from './readers/hf-trainer.js';
import { lmEvalReader } from './readers/lm-eval.js';
import { lightningCsvReader } from './readers/lightning-csv.js';
import { mlflowReader } from './readers/mlflow.js';
import { tensorboardReader } from './readers/tensorboard.js';
import { wandbReader } from './readers/wandb.js';
import { npyReader } from './readers/npy.js';
import { jsonlReader } from './readers/jsonl.js';
import { csvReader } from './readers/csv.js';

export const READERS = [
  // readers are added here, one import each, in claiming order
  mlflowReader,
  wandbReader,
  hfTrainerReader,
  lmEvalReader,
  tensorboardReader,
  lightningCsvReader,
  npyReader,
  jsonlReader,
  csvReader,
] as const satisfies readonly Reader[];

export function readerFor(format: string): Reader {
  const found = (READERS as readonly Reader[]).find((reader) => reader.format === format);
  if (!found) {
    const known = (READERS as readonly Reader[]).map((reader) => reader.format).join(', ');
    throw new Error(`unknown format: ${format} (known: ${known})`);
  }
  return found;
}

export type ReaderFormat = Format;
